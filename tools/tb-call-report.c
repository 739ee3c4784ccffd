/* tb-call-report.c — the JSON object tb-call prints when the call is over:
 * SIP outcome and timings, when the far end was first heard, and for each
 * utterance of the caller how long the far end took to answer it. Times of
 * the call are on its timeline: the answer is 0. */
#define G_LOG_DOMAIN "tb-call"

#include "tb-call.h"

#include <json-glib/json-glib.h>

static void
set_ms_or_null (JsonObject *object, const char *name, gint64 ms)
{
  if (ms >= 0)
    json_object_set_int_member (object, name, ms);
  else
    json_object_set_null_member (object, name);
}

static JsonObject *
timings (const TbSoftphoneResult *result)
{
  JsonObject *object = json_object_new ();

  /* Absent when not seen. */
  if (result->trying_ms >= 0)
    json_object_set_int_member (object, "trying", result->trying_ms);
  if (result->ringing_ms >= 0)
    json_object_set_int_member (object, "ringing", result->ringing_ms);
  if (result->answered_ms >= 0)
    json_object_set_int_member (object, "answered", result->answered_ms);
  return object;
}

/* Each utterance as played on the call, and the first onset heard after its
 * end and before the next one starts (or the call ends). */
static JsonArray *
utterances_with_responses (const TbSoftphoneResult *result, GArray *utterances,
                           GArray *onsets)
{
  JsonArray *array = json_array_new ();
  guint heard_ms = result->heard->len / (TB_SOFTPHONE_RATE / 1000);
  guint call_end_ms = MAX (heard_ms, (guint) MAX (result->duration_ms, 0));

  if (result->answered_ms < 0)
    return array;  /* nothing was played */
  for (guint i = 0; i < utterances->len; i++) {
    const TbSegment *segment = &g_array_index (utterances, TbSegment, i);
    guint start = segment->start_ms + result->play_offset_ms;
    guint end = segment->end_ms + result->play_offset_ms;
    guint until = i + 1 < utterances->len
      ? g_array_index (utterances, TbSegment, i + 1).start_ms + result->play_offset_ms
      : call_end_ms;
    gint64 onset = tb_onset_first_between (onsets, end, until);
    JsonObject *object = json_object_new ();

    json_object_set_int_member (object, "start_ms", start);
    json_object_set_int_member (object, "end_ms", end);
    set_ms_or_null (object, "response_ms", onset >= 0 ? onset - end : -1);
    json_array_add_object_element (array, object);
  }
  return array;
}

static JsonObject *
rtp (const TbMediaStats *stats)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "sent", stats->packets_sent);
  json_object_set_int_member (object, "received", stats->packets_received);
  if (stats->interval_jitter_p99_ms >= 0)
    json_object_set_double_member (object, "jitter_p99_ms", stats->interval_jitter_p99_ms);
  json_object_set_int_member (object, "lost", stats->packets_lost);
  return object;
}

/* Onsets in what was heard, each at the arrival of the packet it starts in
 * (the earliest a phone could play it), ms from the answer. */
static GArray *
onsets_heard (const TbSoftphoneResult *result)
{
  GArray *onsets = tb_onset_find_onsets ((const gint16 *) result->heard->data,
                                         result->heard->len, TB_SOFTPHONE_RATE);

  for (guint i = 0; i < onsets->len; i++) {
    guint *onset = &g_array_index (onsets, guint, i);
    guint frame = *onset / TB_ONSET_FRAME_MS;

    if (frame < result->heard_at->len)
      *onset = (guint) (MAX (g_array_index (result->heard_at, gint64, frame), 0) / 1000);
  }
  return onsets;
}

char *
tb_softphone_report (const TbSoftphoneResult *result, GArray *utterances)
{
  g_autoptr(JsonObject) root = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GArray) onsets = onsets_heard (result);

  json_object_set_int_member (root, "status", result->status);
  json_object_set_string_member (root, "reason", result->reason ? result->reason : "");
  if (result->call_id)
    json_object_set_string_member (root, "call_id", result->call_id);
  else
    json_object_set_null_member (root, "call_id");
  if (result->codec)
    json_object_set_string_member (root, "codec", result->codec->encoding_name);
  else
    json_object_set_null_member (root, "codec");
  json_object_set_object_member (root, "timings_ms", timings (result));
  set_ms_or_null (root, "first_audio_ms",
                  onsets->len ? (gint64) g_array_index (onsets, guint, 0) : -1);
  json_object_set_array_member (root, "utterances",
                                utterances_with_responses (result, utterances, onsets));
  json_object_set_string_member (root, "dtmf_sent", result->dtmf_sent->str);
  if (result->hangup)
    json_object_set_string_member (root, "hangup", result->hangup);
  else
    json_object_set_null_member (root, "hangup");
  json_object_set_int_member (root, "duration_ms", result->duration_ms);
  json_object_set_object_member (root, "rtp", rtp (&result->rtp));

  json_node_set_object (node, root);
  return json_to_string (node, FALSE);
}
