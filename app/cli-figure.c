/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ss-arch-resolve.h"
#include "ss-error.h"
#include "ss-fig-export.h"
#include "ss-gradcam.h"
#include "ss-profile.h"
#include "ss-runs.h"

/* supersign-cli figure: the app's figures as PNG, SVG or PDF files for papers, computed with
 * core exactly as the app computes them (docs/figures.md):
 *   bars       saliency AME per layer, ± sd, null baseline, pooling hatched (--random-too: beside
 *              the same architecture with fresh weights)
 *   infoplane  I(X;T) against I(T;Y) per layer: one point from a model, or trajectories over
 *              the epochs of a recorded run (--run)
 *   heatmaps   Grad-CAM of the first N test samples at chosen layers over the inputs
 *   curves     a recorded run's saliency entropy per layer (frozen layers marked), loss or
 *              accuracy over epochs (--run, --what) */

typedef struct {
  int      samples;       /* 0: the kind's default */
  gboolean random_too;
  char    *layers;
  char    *colormap;
  double   alpha;
  char    *out;
  double   width_mm, height_mm, dpi;
  char    *style;
  char    *csv;
  char    *title;
  gint64   run;
  char    *what;
  double   smoothing;
} FigureArgs;

static void
figure_args_clear (FigureArgs *a)
{
  g_clear_pointer (&a->layers, g_free);
  g_clear_pointer (&a->colormap, g_free);
  g_clear_pointer (&a->out, g_free);
  g_clear_pointer (&a->style, g_free);
  g_clear_pointer (&a->csv, g_free);
  g_clear_pointer (&a->title, g_free);
  g_clear_pointer (&a->what, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FigureArgs, figure_args_clear)

/* A figure of any kind, as the exporter takes it. */
typedef struct {
  SsFigKind      kind;
  gpointer       fig;
  GDestroyNotify free;
} Figure;

static void
figure_clear (Figure *f)
{
  if (f->fig != NULL)
    f->free (f->fig);
  f->fig = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Figure, figure_clear)

/* Whether layer `name` was asked for: every layer passing the default rule when --layers is not
 * given, else exactly those named. */
static gboolean
layer_wanted (const FigureArgs *a,
              const char       *name,
              gboolean          by_default)
{
  g_auto(GStrv) names = NULL;

  if (a->layers == NULL)
    return by_default;
  names = g_strsplit (a->layers, ",", -1);
  for (int i = 0; names[i] != NULL; i++)
    if (g_str_equal (g_strstrip (names[i]), name))
      return TRUE;
  return FALSE;
}

/* Every name in --layers must stand for one of names (n of them, in network order): a layer's
 * own name or a PyTorch module path (ss_layer_names_resolve; owner names the list in
 * messages). A typo is an error, not an empty figure. --layers is rewritten to the layers' own
 * names, which layer_wanted compares. */
static gboolean
resolve_layer_names (FigureArgs        *a,
                     const char *const *names,
                     int                n,
                     const char        *owner,
                     GError           **error)
{
  g_auto(GStrv) wanted = NULL;
  g_autoptr(GString) resolved = g_string_new (NULL);

  if (a->layers == NULL)
    return TRUE;
  wanted = g_strsplit (a->layers, ",", -1);
  for (int i = 0; wanted[i] != NULL; i++)
    {
      int k = ss_layer_names_resolve (names, n, g_strstrip (wanted[i]), owner, error);
      if (k < 0)
        {
          g_prefix_error (error, "--layers: ");
          return FALSE;
        }
      g_string_append_printf (resolved, "%s%s", i > 0 ? "," : "", names[k]);
    }
  g_free (a->layers);
  a->layers = g_string_free (g_steal_pointer (&resolved), FALSE);
  return TRUE;
}

/* ---- From a model ---- */

/* The trained profile (and with --random-too a fresh-weights one over the same samples) in
 * *profiles[0..1]; names stay valid while *net lives. */
static gboolean
compute_profiles (CliOptions       *opts,
                  FigureArgs       *a,
                  SsNet           **net,
                  GArray          **profiles,
                  GError          **error)
{
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsDataset) test = NULL;
  SsProfileOptions opt;

  ss_profile_options_init (&opt);
  if (a->samples > 0)
    opt.n_samples = a->samples;
  if ((*net = cli_open_model (opts, NULL, &metadata, error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, error)) == NULL ||
      !cli_check_fits (*net, test, error))
    return FALSE;
  if ((profiles[0] = ss_profile_compute (*net, test, &opt, NULL, error)) == NULL)
    return FALSE;
  if (a->random_too)
    {
      g_autoptr(SsNet) fresh = ss_net_new (ss_net_get_arch (*net), (guint64) opts->seed);
      ss_net_set_n_threads (fresh, ss_net_get_n_threads (*net));
      if ((profiles[1] = ss_profile_compute (fresh, test, &opt, NULL, error)) == NULL)
        return FALSE;
      /* Names are borrowed from the net that computed them; the trained net has the same. */
      for (guint l = 0; l < profiles[1]->len; l++)
        g_array_index (profiles[1], SsLayerProfile, l).name =
          g_array_index (profiles[0], SsLayerProfile, l).name;
    }
  {
    g_autofree const char **names = g_new0 (const char *, profiles[0]->len + 1);
    for (guint l = 0; l < profiles[0]->len; l++)
      names[l] = g_array_index (profiles[0], SsLayerProfile, l).name;
    g_autofree char *owner = g_strdup_printf ("the saliency layers of %s",
                                              ss_arch_get_name (ss_net_get_arch (*net)));
    return resolve_layer_names (a, names, (int) profiles[0]->len, owner, error);
  }
}

static gboolean
spatial (const SsLayerProfile *lp)
{
  return lp->h * lp->w > 1;
}

static gboolean
bars_from_model (CliOptions       *opts,
                 FigureArgs       *a,
                 Figure           *f,
                 GError          **error)
{
  g_autoptr(SsNet) net = NULL;
  GArray *profiles[2] = { NULL, NULL };
  SsFigBars *bars;
  gboolean ok;

  ok = compute_profiles (opts, a, &net, profiles, error);
  if (ok)
    {
      f->fig = bars = ss_fig_bars_new ();
      f->free = (GDestroyNotify) ss_fig_bars_free;
      ss_fig_bars_set_title (bars, a->title);
      for (int s = 0; s < 2 && profiles[s] != NULL; s++)
        ss_fig_bars_add_series (bars, s == 0 ? "trained" : "random weights");
      for (guint l = 0; l < profiles[0]->len; l++)
        {
          const SsLayerProfile *lp = &g_array_index (profiles[0], SsLayerProfile, l);
          int layer;

          if (!layer_wanted (a, lp->name, spatial (lp)))
            continue;
          layer = ss_fig_bars_add_layer (bars, lp->name, lp->step == SS_STEP_TYPE_I);
          for (int s = 0; s < 2 && profiles[s] != NULL; s++)
            {
              const SsLayerProfile *p = &g_array_index (profiles[s], SsLayerProfile, l);
              ss_fig_bars_set_value (bars, s, layer, p->saliency_mean, p->saliency_sd,
                                     p->null_mean);
            }
        }
    }
  for (int s = 0; s < 2; s++)
    g_clear_pointer (&profiles[s], g_array_unref);
  return ok;
}

static gboolean
infoplane_from_model (CliOptions       *opts,
                      FigureArgs       *a,
                      Figure           *f,
                      GError          **error)
{
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GArray) trained = NULL;
  GArray *profiles[2] = { NULL, NULL };
  SsFigInfoplane *ip;
  gboolean ok;

  if (a->random_too)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--random-too is for figure bars");
      return FALSE;
    }
  ok = compute_profiles (opts, a, &net, profiles, error);
  trained = profiles[0];   /* owned here even on failure; no random profile without the flag */
  if (!ok)
    return FALSE;
  f->fig = ip = ss_fig_infoplane_new ();
  f->free = (GDestroyNotify) ss_fig_infoplane_free;
  ss_fig_infoplane_set_title (ip, a->title);
  for (guint l = 0; l < trained->len; l++)
    {
      const SsLayerProfile *lp = &g_array_index (trained, SsLayerProfile, l);
      if (layer_wanted (a, lp->name, spatial (lp)))
        /* A model on its own has no epoch: its one point is labelled 0. */
        ss_fig_infoplane_add_point (ip, ss_fig_infoplane_add_layer (ip, lp->name), 0, lp->i_xt,
                                    lp->i_ty);
    }
  return TRUE;
}

/* The default heatmap columns: convolutions and pooling layers with spatial maps (the ReLUs
 * between them mostly repeat their convolution's map and would crowd a paper's column). */
static gboolean
default_heatmap_layer (const SsGradcam *gc,
                       int              l)
{
  SsSaliencyKind kind = ss_gradcam_get_layer_kind (gc, l);
  int h, w;

  ss_gradcam_get_layer_size (gc, l, &h, &w);
  return h * w > 1 && (kind == SS_SALIENCY_CONV || kind == SS_SALIENCY_POOLING
                       || kind == SS_SALIENCY_BLOCK);
}

static gboolean
heatmaps_from_model (CliOptions       *opts,
                     FigureArgs       *a,
                     Figure           *f,
                     GError          **error)
{
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsDataset) test = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsGradcam) gc = NULL;
  g_autofree float *x = NULL, *mean = NULL, *std = NULL, *shown = NULL;
  g_autofree SsLabel *labels = NULL;
  g_autofree guint32 *idx = NULL;
  g_autofree const char **names = NULL;
  SsFigHeatmaps *hm;
  int n = a->samples > 0 ? a->samples : 4, c, h, w, n_layers;
  gsize in_len;

  if (a->random_too)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--random-too is for figure bars");
      return FALSE;
    }
  if ((net = cli_open_model (opts, NULL, &metadata, error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, error)) == NULL ||
      !cli_check_fits (net, test, error))
    return FALSE;
  if (n > 64 || (gsize) n > ss_dataset_get_size (test))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "--samples: a heatmap grid takes 1 to 64 rows (and no more than the test "
                   "set's %" G_GSIZE_FORMAT " samples)", ss_dataset_get_size (test));
      return FALSE;
    }
  c = ss_dataset_get_channels (test);
  h = ss_dataset_get_height (test);
  w = ss_dataset_get_width (test);
  in_len = (gsize) c * h * w;
  x = g_new (float, (gsize) n * in_len);
  labels = g_new (SsLabel, n);
  idx = g_new (guint32, n);
  for (int i = 0; i < n; i++)
    idx[i] = (guint32) i;
  ss_dataset_fill_batch (test, x, labels, idx, n, FALSE, NULL);
  if ((gc = ss_gradcam_compute (net, x, n, c, h, w, NULL, error)) == NULL)
    return FALSE;
  n_layers = ss_gradcam_get_n_layers (gc);
  names = g_new0 (const char *, n_layers + 1);
  for (int l = 0; l < n_layers; l++)
    names[l] = ss_gradcam_get_layer_name (gc, l);
  {
    g_autofree char *owner = g_strdup_printf ("the saliency layers of %s",
                                              ss_arch_get_name (ss_net_get_arch (net)));
    if (!resolve_layer_names (a, names, n_layers, owner, error))
      return FALSE;
  }

  f->fig = hm = ss_fig_heatmaps_new (c, h, w);
  f->free = (GDestroyNotify) ss_fig_heatmaps_free;
  if (!ss_fig_heatmaps_set_colormap (hm, a->colormap ? a->colormap : "viridis", error))
    return FALSE;
  ss_fig_heatmaps_set_alpha (hm, a->alpha);
  mean = g_new (float, c);
  std = g_new (float, c);
  ss_dataset_get_normalization (test, mean, std);
  shown = g_new (float, in_len);
  for (int i = 0; i < n; i++)
    {
      int predicted = ss_gradcam_get_classes (gc)[i];
      const char *truth = ss_dataset_get_class_name (test, labels[i]);
      g_autofree char *label = predicted == labels[i]
        ? g_strdup (truth)
        : g_strdup_printf ("%s (pred. %s)", truth, ss_dataset_get_class_name (test, predicted));

      /* Undo the normalisation so the input shows as it is. */
      for (int ch = 0; ch < c; ch++)
        for (int p = 0; p < h * w; p++)
          shown[ch * h * w + p] = x[i * in_len + ch * h * w + p] * std[ch] + mean[ch];
      ss_fig_heatmaps_add_sample (hm, shown, label);
    }
  for (int l = 0; l < n_layers; l++)
    {
      int col, lh, lw;

      if (!layer_wanted (a, names[l], default_heatmap_layer (gc, l)))
        continue;
      col = ss_fig_heatmaps_add_column (hm, names[l]);
      ss_gradcam_get_layer_size (gc, l, &lh, &lw);
      for (int i = 0; i < n; i++)
        ss_fig_heatmaps_set_map (hm, i, col, ss_gradcam_get_map (gc, l, i), lh, lw);
    }
  return TRUE;
}

/* ---- From the run history ---- */

/* The run's epoch-end observations (all its observations if it has none, e.g. a run stopped
 * in its first epoch). Transfer container: the elements belong to run. */
static GPtrArray *
run_observations (const SsRun *run)
{
  GPtrArray *obs = g_ptr_array_new ();
  gboolean any_end = FALSE;
  guint n = ss_run_get_n_observations (run);

  for (guint i = 0; i < n; i++)
    any_end |= ss_run_get_observation (run, i)->epoch_end;
  for (guint i = 0; i < n; i++)
    if (!any_end || ss_run_get_observation (run, i)->epoch_end)
      g_ptr_array_add (obs, (gpointer) ss_run_get_observation (run, i));
  return obs;
}

/* The layer names of the observations, in order of first appearance. Transfer container. */
static GPtrArray *
run_layer_names (GPtrArray *obs)
{
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; i < obs->len; i++)
    {
      const SsRunObservation *o = g_ptr_array_index (obs, i);
      for (guint k = 0; k < o->n_layers; k++)
        if (!g_ptr_array_find_with_equal_func (names, o->layers[k].layer, g_str_equal, NULL))
          g_ptr_array_add (names, (gpointer) o->layers[k].layer);
    }
  return names;
}

static const SsRunLayerPoint *
find_point (const SsRunObservation *o,
            const char             *name)
{
  for (guint k = 0; k < o->n_layers; k++)
    if (g_str_equal (o->layers[k].layer, name))
      return &o->layers[k];
  return NULL;
}

static SsRun *
load_run (CliOptions       *opts,
          FigureArgs       *a,
          GError          **error)
{
  g_autoptr(SsRunDb) db = cli_open_runs_db (opts, TRUE, error);

  return db != NULL ? ss_run_db_load (db, a->run, error) : NULL;
}

static gboolean
figure_from_run (CliOptions       *opts,
                 FigureArgs       *a,
                 Figure           *f,
                 GError          **error)
{
  g_autoptr(SsRun) run = NULL;
  g_autoptr(GPtrArray) obs = NULL, names = NULL;
  const char *what = a->what ? a->what : "entropy";

  if ((run = load_run (opts, a, error)) == NULL)
    return FALSE;
  obs = run_observations (run);
  names = run_layer_names (obs);
  {
    g_autofree char *owner = g_strdup_printf ("run %" G_GINT64_FORMAT, a->run);
    if (!resolve_layer_names (a, (const char *const *) names->pdata, (int) names->len, owner,
                              error))
      return FALSE;
  }

  if (f->kind == SS_FIG_INFOPLANE)
    {
      SsFigInfoplane *ip = ss_fig_infoplane_new ();

      f->fig = ip;
      f->free = (GDestroyNotify) ss_fig_infoplane_free;
      ss_fig_infoplane_set_title (ip, a->title);
      for (guint k = 0; k < names->len; k++)
        {
          int layer;
          if (!layer_wanted (a, g_ptr_array_index (names, k), TRUE))
            continue;
          layer = ss_fig_infoplane_add_layer (ip, g_ptr_array_index (names, k));
          for (guint i = 0; i < obs->len; i++)
            {
              const SsRunObservation *o = g_ptr_array_index (obs, i);
              const SsRunLayerPoint *p = find_point (o, g_ptr_array_index (names, k));
              if (p != NULL)
                ss_fig_infoplane_add_point (ip, layer, o->epoch + 1, p->i_xt, p->i_ty);
            }
        }
      return TRUE;
    }

  {
    SsFigCurves *cv = ss_fig_curves_new ();

    f->fig = cv;
    f->free = (GDestroyNotify) ss_fig_curves_free;
    ss_fig_curves_set_title (cv, a->title);
    ss_fig_curves_set_smoothing (cv, a->smoothing);
    if (g_str_equal (what, "entropy"))
      {
        ss_fig_curves_set_y_label (cv, "saliency AME");
        for (guint k = 0; k < names->len; k++)
          {
            const char *name = g_ptr_array_index (names, k);
            gboolean marked = FALSE;
            int s;

            if (!layer_wanted (a, name, TRUE))
              continue;
            s = ss_fig_curves_add_series (cv, name, NULL, NULL, 0);
            for (guint i = 0; i < obs->len; i++)
              {
                const SsRunObservation *o = g_ptr_array_index (obs, i);
                const SsRunLayerPoint *p = find_point (o, name);

                ss_fig_curves_append (cv, s, o->epoch + 1, p ? p->saliency_mean : NAN);
                if (p != NULL && p->frozen && !marked)
                  {
                    g_autofree char *label = g_strdup_printf ("%s frozen", name);
                    ss_fig_curves_add_marker (cv, s, o->epoch + 1, label);
                    marked = TRUE;
                  }
              }
          }
        return TRUE;
      }
    if (g_str_equal (what, "loss") || g_str_equal (what, "accuracy"))
      {
        gboolean loss = g_str_equal (what, "loss");
        int s_train, s_test;

        ss_fig_curves_set_y_label (cv, loss ? "cross-entropy [nats]" : "accuracy [%]");
        s_train = ss_fig_curves_add_series (cv, "train", NULL, NULL, 0);
        s_test = ss_fig_curves_add_series (cv, "test", NULL, NULL, 0);
        for (guint i = 0; i < obs->len; i++)
          {
            const SsRunObservation *o = g_ptr_array_index (obs, i);
            ss_fig_curves_append (cv, s_train, o->epoch + 1,
                                  loss ? o->train_loss : 100 * o->train_acc);
            ss_fig_curves_append (cv, s_test, o->epoch + 1,
                                  loss ? o->test_loss : 100 * o->test_acc);
          }
        return TRUE;
      }
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "--what must be entropy, loss or accuracy, not “%s”", what);
    return FALSE;
  }
}

/* ---- The command ---- */

static gboolean
check_args (const FigureArgs *a,
            SsFigKind         kind,
            GError          **error)
{
  if (a->out == NULL)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--out FILE.png|svg|pdf is required");
  else if (ss_fig_format_from_path (a->out, error) == SS_FIG_FORMAT_AUTO)
    return FALSE;
  else if (!(a->width_mm >= 5 && a->width_mm <= 5000 && a->height_mm >= 5
             && a->height_mm <= 5000))
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "--width-mm and --height-mm must be between 5 and 5000");
  else if (!(a->alpha >= 0 && a->alpha <= 1))
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--alpha must be between 0 and 1");
  else if (!(a->smoothing >= 0 && a->smoothing < 1))
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "--smoothing must be at least 0 and below 1");
  else if (a->samples < 0 || a->samples > 100000)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--samples must be 1 to 100000");
  else if (kind == SS_FIG_CURVES && a->run <= 0)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "figure curves needs --run ID (see supersign-cli runs list)");
  else if (a->run > 0 && kind != SS_FIG_CURVES && kind != SS_FIG_INFOPLANE)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--run is for figure curves and infoplane");
  else
    return TRUE;
  return FALSE;
}

int
cli_figure (CliOptions *opts,
            int         argc,
            char      **argv)
{
  g_auto(FigureArgs) a = { .alpha = 0.5, .width_mm = 85, .height_mm = 60, .dpi = 300 };
  const GOptionEntry entries[] = {
    { "samples", 's', 0, G_OPTION_ARG_INT, &a.samples,
      "bars, infoplane: samples of the profile (default 50); heatmaps: rows, the first N test "
      "samples (default 4)", "N" },
    { "random-too", 0, 0, G_OPTION_ARG_NONE, &a.random_too,
      "bars: also the same architecture with fresh weights (--seed)", NULL },
    { "layers", 'l', 0, G_OPTION_ARG_STRING, &a.layers,
      "Layers to show, by name or PyTorch module path (default: every layer larger than 1×1; "
      "heatmaps: conv and pooling ones)",
      "NAME,…" },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &a.colormap, "viridis (default) or inferno",
      "NAME" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &a.alpha, "Heatmap opacity over the input (0.5)", "A" },
    { "run", 0, 0, G_OPTION_ARG_INT64, &a.run,
      "curves, infoplane: a recorded run of the history (--db)", "ID" },
    { "what", 0, 0, G_OPTION_ARG_STRING, &a.what,
      "curves: entropy (default), loss or accuracy", "WHAT" },
    { "smoothing", 0, 0, G_OPTION_ARG_DOUBLE, &a.smoothing,
      "curves: TensorBoard's smoothing weight in [0, 1) (default 0)", "W" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &a.out, "The figure: .png, .svg or .pdf", "FILE" },
    { "width-mm", 0, 0, G_OPTION_ARG_DOUBLE, &a.width_mm, "Width (default 85 mm)", "MM" },
    { "height-mm", 0, 0, G_OPTION_ARG_DOUBLE, &a.height_mm, "Height (default 60 mm)", "MM" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &a.dpi, "PNG resolution (default 300)", "DPI" },
    { "style", 0, 0, G_OPTION_ARG_STRING, &a.style, "paper (default) or screen", "STYLE" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &a.title, "A title above the figure", "TEXT" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &a.csv, "Also write the figure's data as CSV",
      "FILE" },
    { NULL }
  };
  g_auto(Figure) f = { 0 };
  g_autoptr(GError) error = NULL;
  SsFigStyle style;
  gboolean ok;

  /* The kind comes first: supersign-cli figure KIND [OPTION…]. */
  if (argc < 2 || argv[1][0] == '-')
    {
      if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
        cli_parse_options (opts, "figure KIND", "bars, infoplane, heatmaps or curves as PNG, "
                           "SVG or PDF", entries, &argc, &argv);
      else
        fprintf (stderr, "supersign-cli figure: name a figure: bars, infoplane, heatmaps or "
                 "curves (see --help)\n");
      return 2;
    }
  if (!ss_fig_kind_from_name (argv[1], &f.kind, &error))
    {
      fprintf (stderr, "supersign-cli figure: %s\n", error->message);
      return 2;
    }
  argv[1] = argv[0];
  argc--;
  argv++;
  if (!cli_parse_options (opts, "figure KIND", "bars, infoplane, heatmaps or curves as PNG, "
                          "SVG or PDF", entries, &argc, &argv))
    return 2;
  if (!check_args (&a, f.kind, &error) ||
      !ss_fig_style_init_from_name (&style, a.style ? a.style : "paper", &error))
    {
      fprintf (stderr, "supersign-cli figure: %s\n", error->message);
      return 2;
    }

  if (a.run > 0)
    ok = figure_from_run (opts, &a, &f, &error);
  else if (f.kind == SS_FIG_BARS)
    ok = bars_from_model (opts, &a, &f, &error);
  else if (f.kind == SS_FIG_INFOPLANE)
    ok = infoplane_from_model (opts, &a, &f, &error);
  else
    ok = heatmaps_from_model (opts, &a, &f, &error);
  if (!ok)
    return cli_fail (error);

  if (!ss_fig_export (f.kind, f.fig, a.out, SS_FIG_FORMAT_AUTO, a.width_mm * SS_FIG_PT_PER_MM,
                      a.height_mm * SS_FIG_PT_PER_MM, a.dpi, &style, &error) ||
      (a.csv != NULL && !ss_fig_write_csv (f.kind, f.fig, a.csv, &error)))
    return cli_fail (error);
  printf ("%s\n", a.out);
  if (a.csv != NULL)
    printf ("%s\n", a.csv);
  return 0;
}
