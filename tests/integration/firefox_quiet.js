// Preferences that keep a throwaway Firefox profile from talking to anything but the test's own
// servers (no HTTP/3, prefetch, predictor, captive-portal or connectivity probes, telemetry,
// updates, safe browsing). Appended to user.js by the Firefox scripts (35, 57, 86) after their own
// preferences.
user_pref("network.http.http3.enable", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.predictor.enabled", false);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.auto", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
