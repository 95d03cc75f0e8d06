// Tells the service the viewer's time zone (dates are rendered on the server in it), and
// lets comparison links seek their media players. No page needs JavaScript to work.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var has = document.cookie.split("; ").some(function (c) { return c.indexOf("sh_tz=") === 0; });
    if (zone && !has) {
      document.cookie = "sh_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
      if (document.documentElement.dataset.tz && document.documentElement.dataset.tz !== zone) {
        location.reload();
      }
    }
  } catch (e) { /* an old browser: the platform's zone is used, and named on every date */ }
  document.addEventListener("DOMContentLoaded", function () {
    // media players in comparisons: a link with data-seek jumps its player to a span
    document.querySelectorAll("[data-seek]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        var player = document.getElementById(a.getAttribute("data-player"));
        if (player) { ev.preventDefault(); player.currentTime = parseFloat(a.getAttribute("data-seek")); player.play(); }
      });
    });
  });
})();
