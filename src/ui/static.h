/*
 * static.h - the UI's fixed resources, served under /ui/static/: its
 * stylesheet, its one small script (the objects page's filter as you
 * type) and its icon.
 */
#ifndef LR_UI_STATIC_H
#define LR_UI_STATIC_H

/* The resource named `name` ("ui.css", "ui.js", "icon.svg"): its text
 * and content type, or NULL. */
const char *lr__ui_static(const char *name, const char **content_type);

#endif
