# Static files for [site] sections with a root (the sections themselves belong to http).
REQUIRES.website := http
