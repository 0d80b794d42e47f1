/* Watchbill status page: keyboard and touch access to the uptime bars, and a warning when the page is old.
   No network access, no dependencies. */
(function () {
  "use strict";

  function bars(bar) {
    return Array.prototype.filter.call(bar.parentNode.children, function (item) {
      return item.offsetParent !== null;
    });
  }

  function moveTo(from, to) {
    if (!to || to === from) { return; }
    from.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    to.focus();
  }

  document.addEventListener("keydown", function (event) {
    var bar = event.target.closest && event.target.closest(".wb-bar");
    if (!bar) { return; }
    var all = bars(bar);
    var index = all.indexOf(bar);
    var target = null;
    if (event.key === "ArrowLeft") { target = all[index - 1]; }
    else if (event.key === "ArrowRight") { target = all[index + 1]; }
    else if (event.key === "Home") { target = all[0]; }
    else if (event.key === "End") { target = all[all.length - 1]; }
    else { return; }
    event.preventDefault();
    moveTo(bar, target);
  });

  document.addEventListener("click", function (event) {
    var bar = event.target.closest && event.target.closest(".wb-bar");
    if (!bar) { return; }
    var current = bar.parentNode.querySelector(".wb-bar[tabindex='0']");
    if (current) { current.setAttribute("tabindex", "-1"); }
    bar.setAttribute("tabindex", "0");
    bar.focus();
  });

  var page = document.querySelector("[data-wb-generated]");
  var notice = document.querySelector("[data-wb-age]");
  if (page && notice) {
    var generated = Date.parse(page.getAttribute("data-wb-generated"));
    var limit = Number(page.getAttribute("data-wb-stale-after")) * 1000;
    var age = Date.now() - generated;
    if (!isNaN(generated) && age > limit) {
      var hours = Math.round(age / 3600000);
      notice.textContent = "This page was generated " + (hours < 48 ? hours + " hours" : Math.round(hours / 24) + " days") +
        " ago and has not been refreshed since; the status shown may be out of date.";
      notice.className += " wb-notice--stale";
      notice.hidden = false;
    }
  }
})();

/* Times in the reader's zone. The page is written in the organisation's zone (and says so); with JavaScript each
   <time datetime> is rewritten in the reader's zone and keeps the organisation's wording as its tooltip. */
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var note = document.querySelector("[data-wb-zone]");
  var reader = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!note || !reader || reader === note.getAttribute("data-wb-zone")) { return; }
  var format = new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  Array.prototype.forEach.call(document.querySelectorAll(".wb time[datetime]"), function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime()) || element.getAttribute("datetime").length < 11) { return; }
    element.title = element.textContent;
    element.textContent = format.format(moment);
  });
  note.textContent = "Times are in your time zone (" + reader + "); the organisation's is " +
    note.getAttribute("data-wb-zone") + ".";
})();
