/* sip-transfer.c — blind transfer of a call by REFER (RFC 3515): the
 * transferee's NOTIFYs carry the progress of its new call as message/sipfrag;
 * a 2xx ends our call, a failure leaves it up and tells the conversation.
 * Signaling thread. */
#define G_LOG_DOMAIN "tb-sip"

#include "sip-private.h"

#include "config-trunk.h"

#include <string.h>

static void
fail (TbSipDialog *dialog, const char *target, int status, const char *reason)
{
  tb_call_transfer_failed (dialog->call, target, status, reason);
  g_clear_pointer (&dialog->transfer_target, g_free);
}

void
tb_sip_dialog_transfer (TbSipDialog *dialog, const char *target)
{
  g_autofree char *uri = NULL;
  g_autofree char *refer_to = NULL;
  g_autofree char *host = NULL;

  if (dialog->terminated || !dialog->call)
    return;
  if (!dialog->answered) {
    tb_call_transfer_failed (dialog->call, target, 0, "the call is not answered yet");
    return;
  }
  if (dialog->transfer_target) {
    tb_call_transfer_failed (dialog->call, target, 0, "a transfer is in progress");
    return;
  }
  if (g_str_has_prefix (target, "sip:") || g_str_has_prefix (target, "sips:")) {
    host = tb_config_sip_uri_host (target);
    uri = host ? g_strdup (target) : NULL;
  } else if (*target && strspn (target, "+0123456789*#") == strlen (target) && dialog->peer_host) {
    uri = g_strdup_printf ("sip:%s@%s", target, dialog->peer_host);
  }
  if (!uri) {
    tb_call_transfer_failed (dialog->call, target, 0,
                             "not a SIP URI or a number that can be dialled");
    return;
  }
  dialog->transfer_target = g_strdup (uri);
  refer_to = g_strdup_printf ("<%s>", uri);
  g_message ("call %s: transferring to %s", tb_call_get_id (dialog->call), uri);
  nua_refer (dialog->nh, SIPTAG_REFER_TO_STR (refer_to), TAG_END ());
}

void
tb_sip_dialog_refer_response (TbSipDialog *dialog, int status, const char *phrase)
{
  if (!dialog->transfer_target || status < 200)
    return;
  if (status >= 300)
    fail (dialog, dialog->transfer_target, status, phrase ? phrase : "REFER refused");
}

/* "SIP/2.0 486 Busy Here" -> 486 and "Busy Here". */
static gboolean
read_sipfrag (const sip_t *sip, int *status, char **reason)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) words = NULL;
  guint64 code;

  if (!sip->sip_content_type || !sip->sip_payload ||
      g_ascii_strncasecmp (sip->sip_content_type->c_type, "message/sipfrag", 15) != 0)
    return FALSE;
  text = g_strndup (sip->sip_payload->pl_data, MIN (sip->sip_payload->pl_len, 200));
  text[strcspn (text, "\r\n")] = '\0';
  words = g_strsplit (text, " ", 3);
  if (g_strv_length (words) < 2 || !g_str_has_prefix (words[0], "SIP/") ||
      !g_ascii_string_to_unsigned (words[1], 10, 100, 699, &code, NULL))
    return FALSE;
  *status = (int) code;
  *reason = g_strdup (words[2] ? words[2] : "");
  return TRUE;
}

void
tb_sip_dialog_notify (TbSipDialog *dialog, const sip_t *sip)
{
  g_autofree char *reason = NULL;
  g_autofree char *target = NULL;
  int status = 0;
  gboolean over;

  if (!dialog->transfer_target || !sip)
    return;
  over = sip->sip_subscription_state &&
         g_ascii_strcasecmp (sip->sip_subscription_state->ss_substate, "terminated") == 0;
  if (!read_sipfrag (sip, &status, &reason)) {
    if (over)
      fail (dialog, dialog->transfer_target, 0, "the transferee gave no result");
    return;
  }
  if (status < 200) {
    g_debug ("call %s: transfer: %d %s", tb_call_get_id (dialog->call), status, reason);
    return;
  }
  target = g_steal_pointer (&dialog->transfer_target);
  if (status >= 300) {
    fail (dialog, target, status, reason);
    return;
  }
  g_message ("call %s: transferred to %s (%d %s)", tb_call_get_id (dialog->call), target,
             status, reason);
  tb_sip_dialog_hangup (dialog, "transferred");
}
