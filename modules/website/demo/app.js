document.getElementById("script").textContent = "script loaded from js.odoh.test";
