/*
 * static.c - the stylesheet, script and icon of static.h, as C strings:
 * nothing to build, nothing read from disk. Colours keep a contrast of at
 * least 4.5:1 for text (WCAG AA); focus is always visible.
 */
#include "static.h"

#include <string.h>

static const char css[] =
    ":root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#ffffff;"
    "--panel:#f6f8fa;--link:#0a58ca}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif;color:var(--fg);background:var(--bg)}\n"
    "a{color:var(--link)}\n"
    "a:focus,button:focus,input:focus,select:focus,summary:focus{"
    "outline:3px solid #0969da;outline-offset:2px}\n"
    ".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;"
    "background:#fff;padding:4px 8px;z-index:1}\n"
    "header{display:flex;gap:24px;align-items:center;padding:10px 24px;"
    "background:#24292f;color:#fff}\n"
    "header .brand{font-weight:700;font-size:17px}\n"
    "header nav a{color:#fff;margin-right:16px;text-decoration:none;"
    "padding:4px 2px}\n"
    "header nav a[aria-current=page]{border-bottom:3px solid #fff}\n"
    "main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}\n"
    "h1{font-size:24px;margin:8px 0 16px}h2{font-size:19px;margin:28px 0 "
    "8px;border-bottom:1px solid var(--line);padding-bottom:4px}\n"
    "h3{font-size:16px;margin:20px 0 6px}\n"
    "table{border-collapse:collapse;margin:8px 0 16px;width:100%}\n"
    "th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:var(--panel)}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}\n"
    "pre{background:var(--panel);border:1px solid var(--line);padding:10px;"
    "overflow:auto;white-space:pre-wrap}\n"
    ".muted{color:var(--muted)}\n"
    "caption{text-align:left;padding:4px 0}\n"
    ".status{display:inline-block;padding:1px 8px;border-radius:10px;"
    "white-space:nowrap;"
    "font-weight:600;font-size:13px;border:1px solid}\n"
    ".status.green{background:#dafbe1;color:#116329;border-color:#4ac26b}\n"
    ".status.amber{background:#fff8c5;color:#7d4e00;border-color:#d4a72c}\n"
    ".status.red{background:#ffebe9;color:#a40e26;border-color:#ff8182}\n"
    ".status.grey{background:#f6f8fa;color:#424a53;border-color:#afb8c1}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:4px 16px}dl.facts dt{font-weight:600}dl.facts dd{margin:0}\n"
    "form.inline{display:flex;gap:8px;align-items:end;flex-wrap:wrap;"
    "margin:8px 0 16px}\n"
    "label{font-weight:600}label.check{font-weight:400}\n"
    "input,select,button{font:inherit;padding:4px "
    "8px;border:1px solid #8c959f;border-radius:4px}\n"
    "button{background:#1f883d;color:#fff;border-color:#1a7f37;"
    "cursor:pointer}\n"
    "fieldset{border:1px solid var(--line);margin:12px 0;padding:8px 12px}"
    "\n.field{display:flex;flex-direction:column;margin:6px 0}\n"
    "ul.objects{list-style:none;padding:0}ul.objects li{padding:4px 0;"
    "border-bottom:1px solid var(--line)}\n"
    ".chart{display:block;max-width:100%;height:auto}\n"
    ".error{background:#ffebe9;border:1px solid #ff8182;padding:8px 12px}\n"
    "footer{color:var(--muted);text-align:center;padding:16px;font-size:"
    "13px}\n";

/* Filters the objects page's list as one types in its search box (the
 * form still searches on the server without script). */
static const char js[] =
    "'use strict';\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  var box = document.getElementById('q');\n"
    "  var items = document.querySelectorAll('[data-search]');\n"
    "  if (!box || !items.length) return;\n"
    "  box.addEventListener('input', function () {\n"
    "    var q = box.value.toLowerCase();\n"
    "    items.forEach(function (li) {\n"
    "      li.hidden = q !== '' &&\n"
    "        li.getAttribute('data-search').indexOf(q) < 0;\n"
    "    });\n"
    "  });\n"
    "});\n";

static const char icon[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
    "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#24292f\"/>"
    "<path d=\"M4 3v10h8v-2H6V3z\" fill=\"#fff\"/></svg>\n";

const char *lr__ui_static(const char *name, const char **content_type) {
  if (!strcmp(name, "ui.css")) {
    *content_type = "text/css; charset=utf-8";
    return css;
  }
  if (!strcmp(name, "ui.js")) {
    *content_type = "text/javascript; charset=utf-8";
    return js;
  }
  if (!strcmp(name, "icon.svg")) {
    *content_type = "image/svg+xml";
    return icon;
  }
  return NULL;
}
