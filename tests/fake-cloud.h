/* fake-cloud.h — tests' side of tb-fake-cloud (tests/fakes/): starts it on
 * a free loopback port, sets its knobs and scripts, reads its log, and
 * fails the test when the fake saw a request the provider would refuse. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The API key the fake expects; tests put it in TB_FAKE_API_KEY_ENV. */
#define TB_FAKE_API_KEY "sk-test-0123456789abcdef"
#define TB_FAKE_API_KEY_ENV "TB_TEST_CLOUD_KEY"

typedef struct _TbFakeCloud TbFakeCloud;

/* Starts the fake (killed by tb_fake_cloud_stop or when the test dies) and
 * sets TB_FAKE_API_KEY_ENV in this process's environment. */
TbFakeCloud *tb_fake_cloud_start (void);
/* Asserts no violations were logged, then stops the fake. */
void tb_fake_cloud_stop (TbFakeCloud *fake);
/* "http://127.0.0.1:PORT" */
const char *tb_fake_cloud_url (TbFakeCloud *fake);

/* POSTs @json to the control route @path ("/_fake/knobs"); asserts 200. */
void tb_fake_cloud_control (TbFakeCloud *fake, const char *path, const char *json);
/* Sets @route's knobs: @json holds the knob fields ("\"status\":500"). */
void tb_fake_cloud_knobs (TbFakeCloud *fake, const char *route, const char *json);
/* Sets @route's script: @items_json is a JSON array. */
void tb_fake_cloud_script (TbFakeCloud *fake, const char *route, const char *items_json);
void tb_fake_cloud_reset (TbFakeCloud *fake);

/* The log's requests of @route (NULL: all), as a new array of their
 * objects ({"route","method","path","summary"}). */
JsonArray *tb_fake_cloud_requests (TbFakeCloud *fake, const char *route);
/* Violations logged so far (a new array of strings). */
JsonArray *tb_fake_cloud_violations (TbFakeCloud *fake);
/* Asserts there are none, printing them when there are. */
void tb_fake_cloud_assert_clean (TbFakeCloud *fake);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TbFakeCloud, tb_fake_cloud_stop)

G_END_DECLS
