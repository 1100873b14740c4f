#include "page.h"
void lr__ui_view(lr__ui_page *p) { lr__ui_message_page(p, 404, "x", "y"); }
