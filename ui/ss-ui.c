/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-ui.h"
#include "ss-ui-resources.h"

void
ss_ui_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      ss_ui_register_resource ();
      g_once_init_leave (&once, 1);
    }
}
