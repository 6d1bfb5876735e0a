// Muster console: a little progressive enhancement. Every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // Selects and checkboxes that submit their form when changed.
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () {
        if (el.form) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
      });
    });

    // Toasts: dismiss on click, fade after a while.
    document.querySelectorAll("[data-toast]").forEach(function (toast) {
      function close() {
        toast.classList.add("is-leaving");
        setTimeout(function () { toast.remove(); }, 300);
      }
      var button = toast.querySelector("[data-toast-close]");
      if (button) button.addEventListener("click", close);
      setTimeout(close, 7000);
    });

    // Dialogs: server-rendered open ones become modal; buttons open and close them.
    document.querySelectorAll("dialog[data-modal]").forEach(function (dialog) {
      if (dialog.hasAttribute("open")) {
        dialog.removeAttribute("open");
        dialog.showModal();
      }
    });
    document.querySelectorAll("[data-dialog-open]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        var dialog = document.getElementById(button.getAttribute("data-dialog-open"));
        if (dialog && dialog.showModal) {
          event.preventDefault();
          dialog.showModal();
          var focus = dialog.querySelector("[autofocus], input, select, button");
          if (focus) focus.focus();
        }
      });
    });
    document.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        var dialog = button.closest("dialog");
        if (dialog) {
          event.preventDefault();
          dialog.close();
        }
      });
    });

    // "Select all on this page" of the users list ticks every row (the server reads the
    // box itself, so it works without this too).
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input.row-select").forEach(function (box) {
          box.checked = all.checked;
        });
      });
    });

    // The sidebar on narrow screens.
    var toggle = document.querySelector("[data-nav-toggle]");
    var sidebar = document.getElementById("sidebar");
    if (toggle && sidebar) {
      toggle.addEventListener("click", function () {
        var open = sidebar.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }

    // Parts of a form that apply to one choice of another field (the password section
    // for password users, the PIN for PIN users): shown only while it is chosen.
    document.querySelectorAll("[data-show-for]").forEach(function (part) {
      var form = part.closest("form");
      if (!form) return;
      var name = part.getAttribute("data-show-for");
      var wanted = part.getAttribute("data-show-value");
      function value() {
        var field = form.elements[name];
        if (!field) return "";
        if (field.length !== undefined && field.tagName === undefined) {
          for (var i = 0; i < field.length; i++) if (field[i].checked) return field[i].value;
          return "";
        }
        return field.value;
      }
      function update() {
        var shown = value() === wanted;
        part.classList.toggle("is-hidden", !shown);
        part.querySelectorAll("input, select, textarea").forEach(function (el) {
          if (shown) el.removeAttribute("data-hidden-by");
          else el.setAttribute("data-hidden-by", name);
        });
      }
      form.addEventListener("change", update);
      update();
    });

    // "Select all" checkboxes for groups of checkboxes.
    document.querySelectorAll("[data-check-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[type=checkbox][name='" + all.getAttribute("data-check-all") + "']")
          .forEach(function (box) { if (!box.disabled) box.checked = all.checked; });
      });
    });
    // Organization screens: the role editor keeps its preset and module grid in step (a
    // preset fills the grid; changing the grid makes the role Custom; "Enable all" fills
    // it without a round trip), and the privilege matrix colours its choices.
    document.querySelectorAll("[data-role-editor]").forEach(function (editor) {
      var levels = editor.querySelectorAll("select[data-module-level]");
      function check(value) {
        var radio = editor.querySelector("input[data-preset][value='" + value + "']");
        if (radio) radio.checked = true;
      }
      function fill(attribute) {
        levels.forEach(function (select) {
          var level = select.getAttribute("data-" + attribute);
          if (level) select.value = level;
          var row = select.closest("tr");
          if (row) {
            row.querySelectorAll("input[type=checkbox]").forEach(function (box) {
              box.checked = box.hasAttribute("data-all-items");
            });
          }
        });
      }
      editor.querySelectorAll("input[data-preset]").forEach(function (radio) {
        radio.addEventListener("change", function () {
          if (radio.checked && radio.value !== "custom") fill(radio.value);
        });
      });
      levels.forEach(function (select) {
        select.addEventListener("change", function () { check("custom"); });
      });
      editor.querySelectorAll(".module-grid input[type=checkbox]").forEach(function (box) {
        box.addEventListener("change", function () { check("custom"); });
      });
      var enableAll = editor.querySelector("[data-enable-all]");
      if (enableAll) {
        enableAll.addEventListener("click", function (event) {
          event.preventDefault();
          fill("enable_all");
          check("custom");
        });
      }
    });
    document.querySelectorAll("select.access-select").forEach(function (select) {
      select.addEventListener("change", function () {
        select.classList.remove("access-none", "access-view", "access-edit");
        select.classList.add("access-" + (select.value || "none"));
      });
    });
  });
})();
