/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-window.c (construction, settings, state) and ss-window-actions.c (actions). */

#include "ss-entropy-view.h"
#include "ss-infoplane-view.h"
#include "ss-job-bar.h"
#include "ss-layers-view.h"
#include "ss-runs-view.h"
#include "ss-experiments-view.h"
#include "ss-window.h"

G_BEGIN_DECLS

struct _SsWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *stack;
  SsJobBar             *model_bar;
  SsJobBar             *data_bar;
  SsLayersView         *layers_view;
  SsEntropyView        *entropy_view;
  SsInfoplaneView      *infoplane_view;
  SsExperimentsView    *experiments_view;
  SsRunsView           *runs_view;

  /* Owned */
  SsSession            *session;
  GSettings            *settings;
  char                 *last_toast;

  gboolean              model_fallback;   /* the shipped model was opened after a failure */
  gboolean              data_fallback;
};

void ss_window_actions_init  (SsWindow *self);
/* Enables or disables actions that need a model or a running job. */
void ss_window_actions_update (SsWindow *self);

G_END_DECLS
