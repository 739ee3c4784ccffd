/* chain.c — an agent's providers for one stage (see chain.h). */
#define G_LOG_DOMAIN "tb-dialog"

#include "chain.h"

#include "breaker.h"
#include "instances.h"
#include "metrics.h"
#include "provider-errors.h"

gboolean
tb_dialog_provider_open (TbConversation *c, TbPluginKind kind, const char *name,
                         TbDialogProvider *provider, GError **error)
{
  const TbProviderConfig *config = name ? tb_config_find_provider (c->config, kind, name) : NULL;
  g_autoptr(GError) local = NULL;

  if (!config) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "agent %s has no %s provider%s%s",
                 c->agent->name, tb_plugin_kind_to_string (kind), name ? " " : "",
                 name ? name : "");
    return FALSE;
  }
  provider->config = config;
  provider->vtable = config->plugin->desc->vtable;
  if (!tb_dialog_instance_get (c->host, config, &provider->instance, &local)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s provider %s: %s",
                 tb_plugin_kind_to_string (kind), config->name, local->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
tb_dialog_chain_open (TbConversation *c, TbPluginKind kind, char **names, TbDialogChain *chain,
                      GError **error)
{
  guint n = names ? g_strv_length (names) : 0;

  chain->kind = tb_plugin_kind_to_string (kind);
  chain->members = g_new0 (TbDialogProvider, MAX (n, 1));
  chain->n = 0;
  for (guint i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;

    if (tb_dialog_provider_open (c, kind, names[i], &chain->members[chain->n], &local))
      chain->n++;
    else if (n > 1)
      g_warning ("call %s: %s; the agent's other %s providers go on without it", c->id,
                 local->message, chain->kind);
    else
      g_propagate_error (error, g_steal_pointer (&local));
  }
  if (chain->n == 0 && n != 1)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "agent %s has no %s provider",
                 c->agent->name, chain->kind);
  return chain->n > 0;
}

void
tb_dialog_chain_clear (TbDialogChain *chain)
{
  g_clear_pointer (&chain->members, g_free);
  chain->n = 0;
}

const TbDialogProvider *
tb_dialog_chain_first (TbConversation *c, TbDialogChain *chain)
{
  for (guint i = 0; i < chain->n; i++)
    if (tb_breaker_allows (c->config, chain->kind, chain->members[i].config->name))
      return &chain->members[i];
  return chain->n ? &chain->members[0] : NULL;
}

const TbDialogProvider *
tb_dialog_chain_fallback (TbConversation *c, TbDialogChain *chain,
                          const TbDialogProvider *failed, const char *why)
{
  const char *name = failed->config->name;

  tb_provider_errors_add (chain->kind, name, c->id, why);
  tb_breaker_failure (c->config, chain->kind, name);
  for (guint i = (guint) (failed - chain->members) + 1; i < chain->n; i++) {
    const TbDialogProvider *next = &chain->members[i];

    if (!tb_breaker_allows (c->config, chain->kind, next->config->name))
      continue;
    g_warning ("call %s: %s provider %s: %s; %s takes over", c->id, chain->kind, name, why,
               next->config->name);
    tb_metrics_provider_fallback (chain->kind, name, next->config->name);
    return next;
  }
  return NULL;
}

void
tb_dialog_chain_success (TbDialogChain *chain, const TbDialogProvider *provider)
{
  tb_breaker_success (chain->kind, provider->config->name);
}
