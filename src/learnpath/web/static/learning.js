// learnpath: the tutor page. Questions are sent with fetch; answers stream in (server-sent
// events) and are then replaced by their rendered HTML. The page works without this script.
(function () {
  "use strict";

  function follow(item) {
    var url = item.dataset.streamUrl;
    if (!url || !window.EventSource) { return; }
    var box = item.querySelector(".answer-text");
    var text = "";
    box.classList.add("streaming-text");
    box.textContent = "";
    var source = new EventSource(url.replace(/offset=\d+/, "offset=0"));
    source.addEventListener("delta", function (message) {
      var piece = JSON.parse(message.data);
      text = text.slice(0, piece.offset) + piece.text;
      box.textContent = text;
    });
    source.addEventListener("done", function (message) {
      source.close();
      var done = JSON.parse(message.data);
      var holder = document.createElement("div");
      holder.innerHTML = done.html.trim();
      var rendered = holder.firstElementChild;
      if (rendered) { item.replaceWith(rendered); }
      var button = document.getElementById("ask-button");
      if (button) { button.disabled = false; }
    });
    source.addEventListener("error", function () {
      // Refused (too many open streams, or the server is away): show the stored answer a
      // little later rather than reloading in a tight loop.
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(function () { window.location.reload(); }, 5000);
      }
    });
  }

  function ask(form, event) {
    event.preventDefault();
    var error = document.getElementById("ask-error");
    var button = document.getElementById("ask-button");
    error.hidden = true;
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (reply) {
      if (!reply.ok) {
        error.textContent = reply.body.error || "";
        error.hidden = false;
        button.disabled = false;
        return;
      }
      var list = document.getElementById("conversation");
      list.insertAdjacentHTML("beforeend", reply.body.question_html + reply.body.answer_html);
      var empty = document.getElementById("no-messages");
      if (empty) { empty.remove(); }
      form.reset();
      follow(document.getElementById("message-" + reply.body.answer_id));
    }).catch(function () {
      form.submit();  // no script path: the server answers with the page
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("ask-form");
    if (form && window.fetch) {
      form.addEventListener("submit", function (event) { ask(form, event); });
    }
    var streaming = document.querySelectorAll("#conversation li[data-status=streaming]");
    Array.prototype.forEach.call(streaming, follow);
  });
})();
