// learnpath: live task progress. Plain script, no build step; pages work without it.
(function () {
  "use strict";

  // Statuses that change what the task page shows (review form, error box, roadmap link).
  var LAYOUT = ["human_review_pending", "completed", "partial_failure", "failed", "canceled"];

  function text(el, value) { if (el) { el.textContent = value; } }

  function eventLine(event) {
    var li = document.createElement("li");
    li.dataset.seq = String(event.seq);
    var seq = document.createElement("span");
    seq.className = "muted";
    seq.textContent = "#" + event.seq;
    li.appendChild(seq);
    li.appendChild(document.createTextNode(" " + (event.label || event.type.replace(/_/g, " "))));
    var data = event.data || {};
    if (data.step) {
      var step = document.createElement("span");
      step.className = "muted";
      step.textContent = " · " + (event.step_label || String(data.step).replace(/_/g, " "));
      li.appendChild(step);
    }
    if (data.total) {
      var extra = document.createElement("span");
      extra.className = "muted";
      extra.textContent = " · " + data.done + "/" + data.total;
      li.appendChild(extra);
    }
    return li;
  }

  function renderTimeline(list, entries) {
    list.replaceChildren.apply(list, entries.map(function (entry) {
      var li = document.createElement("li");
      li.className = "step step-" + entry.state;
      li.dataset.step = entry.step;
      li.dataset.state = entry.state;
      var dot = document.createElement("span");
      dot.className = "step-dot";
      dot.setAttribute("aria-hidden", "true");
      var name = document.createElement("span");
      name.className = "step-name";
      name.textContent = entry.label;
      var state = document.createElement("span");
      state.className = "step-state";
      state.textContent = entry.state_label || entry.state;
      li.append(dot, name, state);
      return li;
    }));
  }

  function watchTask(root) {
    var initial = JSON.parse(document.getElementById("task-state").textContent);
    var shownStatus = initial.status;
    var log = document.getElementById("event-log");
    var seen = {};
    Array.prototype.forEach.call(log.children, function (li) { seen[li.dataset.seq] = true; });
    log.scrollTop = log.scrollHeight;
    var pending = null;
    var polling = null;
    var source = null;
    var indicator = document.getElementById("live-indicator");

    function apply(state) {
      if (state.status !== shownStatus &&
          (LAYOUT.indexOf(state.status) >= 0 || LAYOUT.indexOf(shownStatus) >= 0)) {
        window.location.reload();
        return;
      }
      var badge = root.querySelector("#task-status .badge");
      if (badge) {
        badge.className = "badge badge-" + state.status;
        badge.dataset.status = state.status;
        badge.textContent = state.status_label;
      }
      root.dataset.status = state.status;
      text(document.getElementById("current-step"), state.current_step_label);
      renderTimeline(document.getElementById("timeline"), state.timeline);
      var done = state.progress.done, total = state.progress.total;
      text(document.getElementById("progress-count"), done + "/" + total);
      var progressBox = document.getElementById("concept-progress");
      if (progressBox) progressBox.hidden = !total;
      var bar = root.querySelector("#progress-bar .progress");
      if (bar) {
        bar.setAttribute("aria-valuenow", String(done));
        bar.setAttribute("aria-valuemax", String(total));
        var fill = bar.querySelector("rect");
        if (fill) fill.setAttribute("width", String(total ? Math.round(100 * done / total) : 0));
      }
    }

    function refresh() {
      pending = null;
      fetch(root.dataset.stateUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401 || response.redirected) { window.location.reload(); return null; }
          return response.ok ? response.json() : null;
        })
        .then(function (state) { if (state) { apply(state); } })
        .catch(function () { /* the next event or poll tries again */ });
    }

    function soon() { if (!pending) { pending = window.setTimeout(refresh, 150); } }

    function startPolling() {
      if (source) { source.close(); source = null; }
      if (indicator) { indicator.hidden = true; }
      if (!polling) { polling = window.setInterval(refresh, 1500); }
    }

    if (!window.EventSource) { startPolling(); return; }
    source = new EventSource(root.dataset.streamUrl);
    source.addEventListener("open", function () { if (indicator) { indicator.hidden = false; } });
    source.addEventListener("task", function (message) {
      var event = JSON.parse(message.data);
      if (!seen[event.seq]) {
        seen[event.seq] = true;
        // The stream starts after the last rendered event: new lines go at the end.
        var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.appendChild(eventLine(event));
        if (atEnd) { log.scrollTop = log.scrollHeight; }
      }
      soon();
    });
    source.addEventListener("end", function () {
      source.close();
      source = null;
      if (indicator) { indicator.hidden = true; }
      refresh();
    });
    source.addEventListener("error", function () {
      if (source && source.readyState === EventSource.CLOSED) { startPolling(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var task = document.getElementById("task");
    if (task && task.dataset.streamUrl) { watchTask(task); }
  });
})();

// Printing the roadmap: open every concept (and the map) while the page prints.
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"),
      function (el) { return !el.closest(".no-print") && !el.classList.contains("menu"); });
    opened.forEach(function (el) { el.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { window.print(); }
  });
})();
