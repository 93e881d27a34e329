// Drop zone for file inputs, as a progressive enhancement. Each <input type=file>
// inside a form marked `data-dropzone` also accepts files dropped on its field: they
// are put into the input itself (through a DataTransfer), so the form sends them as
// if chosen with the button. The chosen names are listed in a polite live region.
// The input stays visible and usable with the keyboard; without JavaScript, or where
// the browser cannot set an input's files, the plain input is all there is.
// The form carries the translated texts: data-dropzone-hint, data-dropzone-chosen.
(function () {
  "use strict";

  var canSetFiles = (function () {
    try {
      var transfer = new DataTransfer();
      var probe = document.createElement("input");
      probe.type = "file";
      probe.files = transfer.files;
      return true;
    } catch (error) {
      return false;
    }
  })();

  var carriesFiles = function (event) {
    var types = event.dataTransfer ? event.dataTransfer.types : null;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  };

  var sameFile = function (a, b) {
    return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
  };

  // Dropped files join those already chosen (several drops add up); one file only
  // where the input takes one.
  var addFiles = function (input, dropped) {
    var transfer = new DataTransfer();
    var kept = input.multiple ? Array.prototype.slice.call(input.files) : [];
    Array.prototype.forEach.call(dropped, function (file) {
      if (!input.multiple && kept.length) { return; }
      if (!kept.some(function (other) { return sameFile(other, file); })) {
        kept.push(file);
      }
    });
    kept.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };

  var enhance = function (form, input) {
    var field = input.parentNode;
    var status = document.createElement("div");
    status.className = "dropzone-status";
    status.setAttribute("aria-live", "polite");
    if (input.id) { status.id = input.id + "_chosen"; }
    field.insertBefore(status, input.nextSibling);

    var list = function () {
      status.textContent = "";
      if (!input.files || !input.files.length) { return; }
      var heading = document.createElement("p");
      heading.textContent = form.dataset.dropzoneChosen || "";
      var names = document.createElement("ul");
      names.className = "dropzone-files";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name;
        names.appendChild(item);
      });
      status.appendChild(heading);
      status.appendChild(names);
    };
    input.addEventListener("change", list);
    list();  // a page shown again (back button) may keep a choice

    if (!canSetFiles) { return; }
    field.classList.add("dropzone");
    var hint = document.createElement("p");
    hint.className = "dropzone-hint";
    hint.textContent = form.dataset.dropzoneHint || "";
    field.insertBefore(hint, status);

    // dragenter/leave fire for every child crossed: count them to know when the
    // pointer really left the zone.
    var depth = 0;
    field.addEventListener("dragenter", function (event) {
      if (!carriesFiles(event)) { return; }
      event.preventDefault();
      depth += 1;
      field.classList.add("is-dragover");
    });
    field.addEventListener("dragover", function (event) {
      if (!carriesFiles(event)) { return; }
      event.preventDefault();  // allows the drop
      event.dataTransfer.dropEffect = "copy";
    });
    field.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) { field.classList.remove("is-dragover"); }
    });
    field.addEventListener("drop", function (event) {
      if (!carriesFiles(event)) { return; }
      event.preventDefault();
      depth = 0;
      field.classList.remove("is-dragover");
      addFiles(input, event.dataTransfer.files);
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-dropzone]");
    Array.prototype.forEach.call(forms, function (form) {
      var inputs = form.querySelectorAll("input[type=file]");
      Array.prototype.forEach.call(inputs, function (input) { enhance(form, input); });
    });
    if (!forms.length || !canSetFiles) { return; }
    // A file dropped next to the zone must not make the browser leave the page (and
    // lose what was typed in the form).
    ["dragover", "drop"].forEach(function (name) {
      window.addEventListener(name, function (event) {
        if (carriesFiles(event)) { event.preventDefault(); }
      });
    });
  });
})();
