/* catalog-sql.h — the SQL of the catalog: reading the whole catalog as one
 * JSON document, and provisioning what talkingbits.conf declares. Every
 * statement takes its data as parameters ($1: a JSON document). */
#pragma once

/* One row, one column: {"agents": [...], "numbers": [...], "tools": [...]}
 * as the Web API shows them. */
#define TB_CATALOG_SQL_LOAD \
  "SELECT json_build_object(" \
  " 'agents', COALESCE((SELECT json_agg(json_build_object(" \
  "   'name', a.name, 'greeting', a.greeting, 'system_prompt', a.system_prompt," \
  "   'language', a.language, 'voice', a.voice, 'stt', a.stt, 'tts', a.tts, 'llm', a.llm," \
  "   'tools', ARRAY(SELECT t.name FROM agent_tools x JOIN tools t ON t.id = x.tool_id" \
  "                  WHERE x.agent_id = a.id ORDER BY t.name)," \
  "   'stt_options', a.stt_options, 'tts_options', a.tts_options," \
  "   'llm_options', a.llm_options, 'speaking_rate', a.speaking_rate," \
  "   'answer_delay_ms', a.answer_delay_ms, 'endpointing_ms', a.endpointing_ms," \
  "   'barge_in_min_ms', a.barge_in_min_ms, 'interruptible', a.interruptible," \
  "   'filler_after_ms', a.filler_after_ms, 'fillers', a.fillers," \
  "   'numbers', ARRAY(SELECT n.number FROM numbers n WHERE n.agent_id = a.id" \
  "                    ORDER BY n.number)," \
  "   'config_managed', a.config_managed, 'created_at', a.created_at," \
  "   'updated_at', a.updated_at) ORDER BY a.name) FROM agents a), '[]')," \
  " 'numbers', COALESCE((SELECT json_agg(json_build_object(" \
  "   'number', n.number, 'agent', a.name, 'direction', n.direction," \
  "   'config_managed', n.config_managed, 'created_at', n.created_at) ORDER BY n.number)" \
  "   FROM numbers n JOIN agents a ON a.id = n.agent_id), '[]')," \
  " 'tools', COALESCE((SELECT json_agg(json_build_object(" \
  "   'name', t.name, 'description', t.description, 'parameters', t.parameters," \
  "   'plugin', t.plugin, 'url', t.url, 'secret_env', t.secret_env," \
  "   'timeout_ms', t.timeout_ms, 'function', t.function_name, 'options', t.options," \
  "   'config_managed', t.config_managed," \
  "   'used_by', ARRAY(SELECT a.name FROM agent_tools x JOIN agents a ON a.id = x.agent_id" \
  "                    WHERE x.tool_id = t.id ORDER BY a.name)," \
  "   'created_at', t.created_at, 'updated_at', t.updated_at) ORDER BY t.name)" \
  "   FROM tools t), '[]'))"

/* The columns of an agent from a JSON object j (every member present). */
#define TB_CATALOG_SQL_AGENT_VALUES \
  "j->>'greeting', j->>'system_prompt', j->>'language', j->>'voice'," \
  " ARRAY(SELECT jsonb_array_elements_text(j->'stt'))," \
  " ARRAY(SELECT jsonb_array_elements_text(j->'tts'))," \
  " ARRAY(SELECT jsonb_array_elements_text(j->'llm'))," \
  " COALESCE(j->'stt_options', '{}'), COALESCE(j->'tts_options', '{}')," \
  " COALESCE(j->'llm_options', '{}'), (j->>'speaking_rate')::float8," \
  " (j->>'answer_delay_ms')::integer, (j->>'endpointing_ms')::integer," \
  " (j->>'barge_in_min_ms')::integer, (j->>'interruptible')::boolean," \
  " (j->>'filler_after_ms')::integer, ARRAY(SELECT jsonb_array_elements_text(j->'fillers'))"

#define TB_CATALOG_SQL_AGENT_COLUMNS \
  "greeting, system_prompt, language, voice, stt, tts, llm, stt_options, tts_options," \
  " llm_options, speaking_rate, answer_delay_ms, endpointing_ms, barge_in_min_ms," \
  " interruptible, filler_after_ms, fillers"

/* The columns of a tool from a JSON object t. */
#define TB_CATALOG_SQL_TOOL_COLUMNS \
  "description, parameters, plugin, url, secret_env, timeout_ms, function_name, options"
#define TB_CATALOG_SQL_TOOL_VALUES \
  "COALESCE(t->>'description', ''), NULLIF(t->'parameters', 'null'::jsonb)," \
  " COALESCE(t->>'plugin', 'webhook'), t->>'url', t->>'secret_env'," \
  " (t->>'timeout_ms')::integer, t->>'function'," \
  " COALESCE(NULLIF(t->'options', 'null'::jsonb), '{}')"
