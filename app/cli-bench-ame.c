/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "ss-entropy.h"
#include "ss-gradcam.h"
#include "ss-mi.h"
#include "ss-profile.h"
#include "ss-resize.h"

/* supersign-cli bench --ame: the throughput of ss_ame_compute on one thread for 28×28, 56×56
 * and 224×224 maps at B = 256 (plug-in, default options), the same maps through
 * ss_ame_compute_batch on --threads threads, and the wall time of ss_profile_compute on the
 * shipped model over 50 test samples (data loading excluded).  bench/ame_numpy.py does the same
 * AME in numpy (one thread); bench/compare_ame.py runs both.
 *
 * The maps are integers below 2²⁴ stored as float32, from an integer hash that numpy reproduces
 * bit for bit (map_value below), so both sides time the same maps and bench/ame_numpy.py can
 * check its AME against the "check" values printed here.
 *
 * With --profile-phases the profile's phases are also timed one by one, replayed here with the
 * same public calls ss_profile_compute makes (Grad-CAM; saliency AME; null baseline; activation
 * forwards and per-channel AME; pooled MI): for reading where the time goes, not a second
 * implementation of the profile. */

static const int sizes[] = { 28, 56, 224 };

#define POOL_MAPS        64     /* distinct maps per size, cycled through in a repeat */
#define MIN_REPEAT_SEC   0.05   /* a repeat runs the pool as often as it takes to last this */
#define PROFILE_CHUNK    16     /* as ss-profile.c's CHUNK: samples per activation forward */

static double
now_seconds (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (const double *values,
        int           n)
{
  g_autofree double *v = g_memdup2 (values, (gsize) n * sizeof (double));
  qsort (v, (gsize) n, sizeof (double), (GCompareFunc) compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
min_of (const double *v,
        int           n)
{
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = MIN (m, v[i]);
  return m;
}

static double
max_of (const double *v,
        int           n)
{
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = MAX (m, v[i]);
  return m;
}

/* 32-bit integer hash of (cell i, seed); bench/ame_numpy.py's mix() is the same. */
static guint32
mix (guint32 i,
     guint32 seed)
{
  guint32 h = i * 0x9E3779B1u + seed * 0x85EBCA77u;
  h ^= h >> 16;
  h *= 0x7FEB352Du;
  h ^= h >> 15;
  h *= 0x846CA68Bu;
  h ^= h >> 16;
  return h;
}

typedef enum {
  MAP_NOISE,    /* independent cells: the timed maps */
  MAP_SMOOTH,   /* radial ramp plus a little noise */
  MAP_RELU,     /* noise with about half the cells 0 (ties, like a ReLU output) */
  MAP_BLOCKS,   /* 4×4 blocks of 16 levels: low joint entropy */
  N_MAP_KINDS
} MapKind;

static const char *const map_kind_names[N_MAP_KINDS] = { "noise", "smooth", "relu", "blocks" };

/* Cell (i, j) of an h×w map of this kind and seed: an integer below 2²⁴, exact in float32. */
static float
map_value (MapKind kind,
           guint32 seed,
           int     h,
           int     w,
           int     i,
           int     j)
{
  const guint32 cell = (guint32) i * (guint32) w + (guint32) j;
  switch (kind)
    {
    case MAP_NOISE:
      return (float) (mix (cell, seed) >> 8);
    case MAP_SMOOTH:
      return (float) ((guint32) (i * i + j * j) * 8u + (mix (cell, seed) >> 29));
    case MAP_RELU:
      {
        const guint32 v = mix (cell, seed) >> 8;
        return (float) (v > (1u << 23) ? v - (1u << 23) : 0u);
      }
    case MAP_BLOCKS:
      {
        const guint32 block = (guint32) (i / MAX (h / 4, 1)) * 4u + (guint32) (j / MAX (w / 4, 1));
        return (float) (mix (block, seed) >> 28);
      }
    default:
      g_assert_not_reached ();
    }
}

static void
fill_map (float  *x,
          MapKind kind,
          guint32 seed,
          int     h,
          int     w)
{
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      x[(gsize) i * w + j] = map_value (kind, seed, h, w, i, j);
}

typedef struct {
  int         size;
  int         maps_per_repeat;
  double      median, min, max;   /* maps/s, one thread */
  double      batch_median, batch_min, batch_max;  /* maps/s, ss_ame_compute_batch */
  double      ame_mean;           /* mean AME of the POOL_MAPS noise maps */
  double      kind_median[N_MAP_KINDS];  /* maps/s, one thread, pools of each kind */
  const char *histogram;          /* "dense" or "hash" (see ss-entropy.h) */
  SsAmeResult check[N_MAP_KINDS];
} SizeResult;

/* Runs every map of pool (POOL_MAPS maps of n cells) rounds times, one ss_ame_compute each, or
 * with threads > 0 one ss_ame_compute_batch of the pool on that many threads; returns the
 * seconds and adds the AMEs to *sink so the work cannot be dropped. */
static double
run_pool (const float        *pool,
          int                 s,
          int                 rounds,
          int                 threads,
          const SsAmeOptions *opt,
          gpointer            scratch,
          gsize               scratch_size,
          double             *sink)
{
  const gsize n = (gsize) s * s;
  SsAmeResult res[POOL_MAPS];
  double t0 = now_seconds ();
  for (int r = 0; r < rounds; r++)
    {
      if (threads > 0 && !ss_ame_compute_batch (res, pool, POOL_MAPS, s, s, opt, threads,
                                                scratch, scratch_size, NULL))
        g_error ("ss_ame_compute_batch failed on %d×%d maps", s, s);
      for (int m = 0; m < POOL_MAPS; m++)
        {
          if (threads == 0 &&
              !ss_ame_compute (&res[m], pool + m * n, s, s, opt, scratch, scratch_size, NULL))
            g_error ("ss_ame_compute failed on a %d×%d map", s, s);
          *sink += res[m].ame;
        }
    }
  return now_seconds () - t0;
}

/* Times run_pool: calibrates the rounds so a repeat lasts MIN_REPEAT_SEC (the warm-up too),
 * then fills rate (repeats) with maps/s; returns the maps per repeat. */
static int
time_pool (double             *rate,
           int                 repeats,
           const float        *pool,
           int                 s,
           int                 threads,
           const SsAmeOptions *opt,
           gpointer            scratch,
           gsize               scratch_size,
           double             *sink)
{
  int rounds = 1;
  double t;

  while ((t = run_pool (pool, s, rounds, threads, opt, scratch, scratch_size, sink))
         < MIN_REPEAT_SEC)
    rounds = t > 0 ? MAX (rounds + 1, (int) ceil (rounds * 1.2 * MIN_REPEAT_SEC / t))
                   : rounds * 4;
  for (int r = 0; r < repeats; r++)
    rate[r] = rounds * POOL_MAPS / run_pool (pool, s, rounds, threads, opt, scratch,
                                             scratch_size, sink);
  return rounds * POOL_MAPS;
}

static void
bench_size (SizeResult *out,
            int         s,
            int         repeats,
            int         threads,
            double     *sink)
{
  const gsize n = (gsize) s * s;
  SsAmeOptions opt;
  gsize scratch_size, slots;
  g_autofree gpointer scratch = NULL;
  g_autofree float *pool = g_new (float, POOL_MAPS * n);
  g_autofree double *rate = g_new (double, repeats);
  double sum = 0;

  ss_ame_options_init (&opt);
  scratch_size = ss_ame_batch_scratch_size (s, s, &opt, threads);
  scratch = g_malloc (scratch_size);
  *out = (SizeResult) { .size = s };
  /* ss-entropy.c's choice: dense when B ≤ 256 or B² ≤ the power of two ≥ max (16, 2·H·W). */
  for (slots = 16; slots < 2 * n; slots *= 2)
    ;
  out->histogram = (gsize) opt.bins * opt.bins <= MAX (slots, 65536) ? "dense" : "hash";
  for (int m = 0; m < POOL_MAPS; m++)
    fill_map (pool + m * n, MAP_NOISE, (guint32) m, s, s);

  /* Values, outside the timing. */
  for (int m = 0; m < POOL_MAPS; m++)
    {
      SsAmeResult res;
      ss_ame_compute (&res, pool + m * n, s, s, &opt, scratch, scratch_size, NULL);
      sum += res.ame;
    }
  out->ame_mean = sum / POOL_MAPS;
  for (int k = 0; k < N_MAP_KINDS; k++)
    {
      g_autofree float *x = g_new (float, n);
      fill_map (x, (MapKind) k, 1000u + (guint32) k, s, s);
      ss_ame_compute (&out->check[k], x, s, s, &opt, scratch, scratch_size, NULL);
    }

  out->maps_per_repeat = time_pool (rate, repeats, pool, s, 0, &opt, scratch, scratch_size,
                                    sink);
  out->median = median (rate, repeats);
  out->kind_median[MAP_NOISE] = out->median;
  out->min = min_of (rate, repeats);
  out->max = max_of (rate, repeats);
  time_pool (rate, repeats, pool, s, threads, &opt, scratch, scratch_size, sink);
  out->batch_median = median (rate, repeats);
  out->batch_min = min_of (rate, repeats);
  out->batch_max = max_of (rate, repeats);

  /* The other kinds, for reading only (numpy's cost hardly depends on the values; ours does:
   * ReLU maps pile their zeros into one bin, smooth maps repeat neighbouring keys). */
  for (int k = 0; k < N_MAP_KINDS; k++)
    if (k != MAP_NOISE)
      {
        for (int m = 0; m < POOL_MAPS; m++)
          fill_map (pool + m * n, (MapKind) k, (guint32) m, s, s);
        time_pool (rate, repeats, pool, s, 0, &opt, scratch, scratch_size, sink);
        out->kind_median[k] = median (rate, repeats);
      }
}

/* ---------------------------------------------------------------- the profile's phases */

typedef enum {
  PHASE_SAMPLES,     /* the seeded shuffle and the batch fill */
  PHASE_GRADCAM,     /* ss_gradcam_compute on the N samples */
  PHASE_SALIENCY,    /* ss_ame_compute of every layer's Grad-CAM maps */
  PHASE_NULL,        /* ss_ame_null of the same maps */
  PHASE_FORWARD,     /* the evaluation forwards for the activations */
  PHASE_ACTIVATION,  /* ss_ame_compute_channels of every layer's activations */
  PHASE_MI,          /* pooled I(X;T) and I(T;Y) of every layer */
  N_PHASES
} Phase;

static const char *const phase_names[N_PHASES] = {
  "samples", "gradcam", "saliency_ame", "null_baseline", "activation_forward",
  "activation_ame", "information_plane",
};

typedef struct {
  double seconds[N_PHASES];
  gsize  maps[N_PHASES];  /* AME maps of that phase (null: permuted maps) */
} PhaseTimes;

/* Adds v to the sink when it is a number (AMEs of 1×1 maps are NAN). */
static void
consume (double *sink,
         double  v)
{
  if (isfinite (v))
    *sink += v;
}

/* The steps of ss_profile_compute with default options, each timed. */
static gboolean
profile_phases (PhaseTimes      *pt,
                SsNet           *net,
                const SsDataset *ds,
                double          *sink,
                GError         **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  SsProfileOptions opt;
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(SsMiHistogram) hist = NULL;
  g_autofree guint32 *order = NULL;
  g_autofree float *x = NULL;
  g_autofree SsLabel *y = NULL;
  g_autofree gpointer scratch = NULL;
  gsize scratch_size, in_len, size = ss_dataset_get_size (ds);
  int n, c, h, w, n_layers, first = -1, last = -1;
  SsRng rng;
  double t;

  *pt = (PhaseTimes) { 0 };
  ss_profile_options_init (&opt);
  if ((hist = ss_mi_histogram_new (opt.mi_bins, error)) == NULL)
    return FALSE;

  t = now_seconds ();
  n = (int) MIN ((gsize) opt.n_samples, size);
  ss_rng_seed (&rng, opt.seed);
  order = g_new (guint32, size);
  for (gsize i = 0; i < size; i++)
    order[i] = (guint32) i;
  ss_rng_shuffle (&rng, order, size);
  ss_arch_get_input (arch, &c, &h, &w);
  in_len = (gsize) c * h * w;
  x = g_new (float, (gsize) n * in_len);
  y = g_new (SsLabel, n);
  ss_dataset_fill_batch (ds, x, y, order, n, FALSE, NULL);
  pt->seconds[PHASE_SAMPLES] = now_seconds () - t;

  t = now_seconds ();
  if ((gc = ss_gradcam_compute (net, x, n, c, h, w, NULL, error)) == NULL)
    return FALSE;
  pt->seconds[PHASE_GRADCAM] = now_seconds () - t;

  scratch_size = ss_ame_scratch_size (h, w, &opt.ame);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      scratch_size = MAX (scratch_size, ss_ame_scratch_size (node->h, node->w, &opt.ame));
    }
  scratch = g_malloc (MAX (scratch_size, 1));

  n_layers = ss_gradcam_get_n_layers (gc);
  for (int l = 0; l < n_layers; l++)
    {
      int lh, lw;
      ss_gradcam_get_layer_size (gc, l, &lh, &lw);
      for (int s = 0; s < n; s++)
        {
          SsAmeResult r;
          SsAmeNull nl;
          const float *map = ss_gradcam_get_map (gc, l, s);

          t = now_seconds ();
          if (!ss_ame_compute (&r, map, lh, lw, &opt.ame, scratch, scratch_size, error))
            return FALSE;
          pt->seconds[PHASE_SALIENCY] += now_seconds () - t;
          pt->maps[PHASE_SALIENCY]++;
          consume (sink, r.ame);
          if (r.status == SS_AME_NOT_APPLICABLE)
            continue;
          t = now_seconds ();
          if (!ss_ame_null (&nl, map, lh, lw, &opt.ame, opt.null_permutations, &rng, scratch,
                            scratch_size, error))
            return FALSE;
          pt->seconds[PHASE_NULL] += now_seconds () - t;
          pt->maps[PHASE_NULL] += r.status == SS_AME_OK ? opt.null_permutations : 0;
          consume (sink, nl.mean);
        }
      if (first < 0)
        first = l;
      if (lh * lw > 1)
        last = l;
    }

  for (int start = 0; start < n; start += PROFILE_CHUNK)
    {
      int b = MIN (PROFILE_CHUNK, n - start);
      t = now_seconds ();
      ss_net_forward (net, x + (gsize) start * in_len, b, SS_MODE_EVAL, NULL);
      pt->seconds[PHASE_FORWARD] += now_seconds () - t;
      t = now_seconds ();
      for (int l = 0; l < n_layers; l++)
        {
          const SsNode *node = ss_arch_get_node (arch, ss_gradcam_get_layer_node (gc, l));
          const float *out = ss_net_get_output (net, ss_gradcam_get_layer_node (gc, l));
          gsize len = (gsize) node->c * node->h * node->w;
          for (int s = 0; s < b; s++)
            {
              SsAmeChannels r;
              if (!ss_ame_compute_channels (&r, NULL, out + s * len, node->c, node->h, node->w,
                                            &opt.ame, scratch, scratch_size, error))
                return FALSE;
              pt->maps[PHASE_ACTIVATION] += (gsize) node->c;
              consume (sink, r.mean);
            }
        }
      pt->seconds[PHASE_ACTIVATION] += now_seconds () - t;
    }

  t = now_seconds ();
  for (int l = 0; l < n_layers; l++)
    {
      consume (sink, first >= 0 ? ss_profile_pooled_mi (gc, l, first, hist) : 0);
      consume (sink, last >= 0 ? ss_profile_pooled_mi (gc, l, last, hist) : 0);
    }
  pt->seconds[PHASE_MI] = now_seconds () - t;
  return TRUE;
}

/* ---------------------------------------------------------------- the command */

int
cli_bench_ame (CliOptions *opts,
               int         profile_repeats,
               gboolean    phases)
{
  const int n_sizes = G_N_ELEMENTS (sizes);
  const int repeats = opts->iterations;
  const int batch_threads = opts->threads > 0 ? opts->threads : (int) g_get_num_processors ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsDataset) test = NULL;
  g_autofree double *profile_sec = NULL;
  SizeResult results[G_N_ELEMENTS (sizes)];
  PhaseTimes pt = { 0 };
  SsProfileOptions popt;
  double sink = 0, load_sec = 0, phase_total = 0;
  int n_layers = 0, samples = 0;

  ss_profile_options_init (&popt);
  if (profile_repeats > 0 || phases)
    {
      double t0 = now_seconds ();
      if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL ||
          (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
        return cli_fail (error);
      load_sec = now_seconds () - t0;
      samples = (int) MIN ((gsize) popt.n_samples, ss_dataset_get_size (test));
    }

  for (int i = 0; i < n_sizes; i++)
    bench_size (&results[i], sizes[i], repeats, batch_threads, &sink);

  if (profile_repeats > 0)
    {
      profile_sec = g_new (double, profile_repeats);
      for (int r = -1; r < profile_repeats; r++)   /* one warm-up */
        {
          double t0 = now_seconds ();
          g_autoptr(GArray) profile = ss_profile_compute (net, test, &popt, NULL, &error);
          double t = now_seconds () - t0;
          if (profile == NULL)
            return cli_fail (error);
          n_layers = (int) profile->len;
          consume (&sink, g_array_index (profile, SsLayerProfile, 0).null_mean);
          if (r >= 0)
            profile_sec[r] = t;
        }
    }
  if (phases)
    {
      if (!profile_phases (&pt, net, test, &sink, &error))
        return cli_fail (error);
      for (int p = 0; p < N_PHASES; p++)
        phase_total += pt.seconds[p];
    }
  if (!isfinite (sink))
    g_warning ("non-finite AME sum");

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "benchmark", "ame");
      ss_json_add_int (b, "bins", SS_AME_BINS_DEFAULT);
      ss_json_add_bool (b, "miller_madow", FALSE);
      ss_json_add_int (b, "ame_threads", 1);
      ss_json_add_int (b, "batch_threads", batch_threads);
      ss_json_add_int (b, "repeats", repeats);
      json_builder_set_member_name (b, "sizes");
      json_builder_begin_array (b);
      for (int i = 0; i < n_sizes; i++)
        {
          const SizeResult *s = &results[i];
          json_builder_begin_object (b);
          ss_json_add_int (b, "h", s->size);
          ss_json_add_int (b, "w", s->size);
          ss_json_add_string (b, "histogram", s->histogram);
          ss_json_add_int (b, "maps_per_repeat", s->maps_per_repeat);
          ss_json_add_number (b, "maps_per_second", s->median);
          ss_json_add_number (b, "maps_per_second_min", s->min);
          ss_json_add_number (b, "maps_per_second_max", s->max);
          ss_json_add_number (b, "batch_maps_per_second", s->batch_median);
          ss_json_add_number (b, "batch_maps_per_second_min", s->batch_min);
          ss_json_add_number (b, "batch_maps_per_second_max", s->batch_max);
          ss_json_add_int (b, "pool_maps", POOL_MAPS);
          ss_json_add_number (b, "pool_ame_mean", s->ame_mean);
          json_builder_set_member_name (b, "kinds_maps_per_second");
          json_builder_begin_object (b);
          for (int k = 0; k < N_MAP_KINDS; k++)
            ss_json_add_number (b, map_kind_names[k], s->kind_median[k]);
          json_builder_end_object (b);
          json_builder_set_member_name (b, "check");
          json_builder_begin_array (b);
          for (int k = 0; k < N_MAP_KINDS; k++)
            {
              json_builder_begin_object (b);
              ss_json_add_string (b, "kind", map_kind_names[k]);
              ss_json_add_int (b, "seed", 1000 + k);
              ss_json_add_number (b, "ame", s->check[k].ame);
              ss_json_add_number (b, "h0_bits", s->check[k].h0);
              json_builder_set_member_name (b, "h_rel");
              json_builder_begin_array (b);
              for (int o = 0; o < 4; o++)
                json_builder_add_double_value (b, s->check[k].h_rel[o]);
              json_builder_end_array (b);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      if (profile_repeats > 0 || phases)
        {
          json_builder_set_member_name (b, "profile");
          json_builder_begin_object (b);
          ss_json_add_string (b, "model", ss_arch_get_name (ss_net_get_arch (net)));
          ss_json_add_string (b, "data", ss_dataset_get_name (test));
          ss_json_add_int (b, "samples", samples);
          ss_json_add_int (b, "threads", ss_net_get_n_threads (net));
          ss_json_add_number (b, "load_seconds", load_sec);
          if (profile_repeats > 0)
            {
              ss_json_add_int (b, "layers", n_layers);
              ss_json_add_int (b, "repeats", profile_repeats);
              ss_json_add_number (b, "seconds", median (profile_sec, profile_repeats));
              ss_json_add_number (b, "seconds_min", min_of (profile_sec, profile_repeats));
              ss_json_add_number (b, "seconds_max", max_of (profile_sec, profile_repeats));
            }
          if (phases)
            {
              json_builder_set_member_name (b, "phases");
              json_builder_begin_object (b);
              for (int p = 0; p < N_PHASES; p++)
                ss_json_add_number (b, phase_names[p], pt.seconds[p]);
              ss_json_add_number (b, "total", phase_total);
              json_builder_end_object (b);
              json_builder_set_member_name (b, "phase_maps");
              json_builder_begin_object (b);
              ss_json_add_int (b, "saliency_ame", (gint64) pt.maps[PHASE_SALIENCY]);
              ss_json_add_int (b, "null_baseline", (gint64) pt.maps[PHASE_NULL]);
              ss_json_add_int (b, "activation_ame", (gint64) pt.maps[PHASE_ACTIVATION]);
              json_builder_end_object (b);
            }
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }

  printf ("AME, B = %d, plug-in, median of %d repeats (min–max): one thread; "
          "ss_ame_compute_batch on %d threads\n", SS_AME_BINS_DEFAULT, repeats, batch_threads);
  for (int i = 0; i < n_sizes; i++)
    printf ("%3d×%-3d (%s histograms): %10.0f maps/s (%.0f–%.0f); batch %10.0f (%.0f–%.0f)\n",
            results[i].size, results[i].size, results[i].histogram, results[i].median,
            results[i].min, results[i].max, results[i].batch_median, results[i].batch_min,
            results[i].batch_max);
  printf ("one thread, by kind of map (the timed maps above are noise):\n");
  for (int i = 0; i < n_sizes; i++)
    {
      printf ("%3d×%-3d", results[i].size, results[i].size);
      for (int k = 0; k < N_MAP_KINDS; k++)
        printf ("  %s %.0f", map_kind_names[k], results[i].kind_median[k]);
      printf (" maps/s\n");
    }
  if (profile_repeats > 0)
    printf ("\nprofile of %s, %d samples of %s, %d layers, %d threads: %.3f s median of %d "
            "(%.3f–%.3f), data loading (%.3f s) excluded\n",
            ss_arch_get_name (ss_net_get_arch (net)), samples, ss_dataset_get_name (test),
            n_layers, ss_net_get_n_threads (net), median (profile_sec, profile_repeats),
            profile_repeats, min_of (profile_sec, profile_repeats),
            max_of (profile_sec, profile_repeats), load_sec);
  if (phases)
    {
      printf ("\nprofile phases (one replayed run, %.3f s in all):\n", phase_total);
      for (int p = 0; p < N_PHASES; p++)
        printf ("  %-20s %8.3f s  %5.1f %%\n", phase_names[p], pt.seconds[p],
                100 * pt.seconds[p] / phase_total);
      printf ("  maps: %zu saliency, %zu permuted (null), %zu activation channels\n",
              pt.maps[PHASE_SALIENCY], pt.maps[PHASE_NULL], pt.maps[PHASE_ACTIVATION]);
    }
  return 0;
}
