/* chain.h — an agent's providers for one stage (stt=deepgram,pocketsphinx),
 * first choice first: which one a request goes to, and which one takes
 * over when it fails or says nothing in time before producing anything.
 * Worker thread (the conversation's). */
#pragma once

#include "conversation-private.h"

G_BEGIN_DECLS

/* Opens @provider named @name of @kind for the calling thread. */
gboolean tb_dialog_provider_open (TbConversation *c, TbPluginKind kind, const char *name,
                                  TbDialogProvider *provider, GError **error);

/* Opens the providers @names of @kind; those that cannot be opened are
 * left out with a warning. FALSE with @error when none is left. */
gboolean tb_dialog_chain_open (TbConversation *c, TbPluginKind kind, char **names,
                               TbDialogChain *chain, GError **error);
void tb_dialog_chain_clear (TbDialogChain *chain);

/* The provider a new request goes to: the first one not skipped for
 * failing (see breaker.h), or the first of all when every one is. */
const TbDialogProvider *tb_dialog_chain_first (TbConversation *c, TbDialogChain *chain);

/* @failed failed (@why says how): counted against it; returns the next
 * provider after it that is not skipped, logging and counting the switch,
 * or NULL when there is none. */
const TbDialogProvider *tb_dialog_chain_fallback (TbConversation *c, TbDialogChain *chain,
                                                  const TbDialogProvider *failed,
                                                  const char *why);

/* @provider answered. */
void tb_dialog_chain_success (TbDialogChain *chain, const TbDialogProvider *provider);

G_END_DECLS
