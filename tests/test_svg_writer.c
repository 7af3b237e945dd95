// SPDX-License-Identifier: Apache-2.0
/* Unit tests for render/svg_writer: XML/JSON escaping of untrusted text and number output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "render/svg_writer.h"

struct capture {
	FILE *f;
	char *buf;
	size_t len;
	struct svg_writer *w;
};

static void open_capture(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->w = svg_writer__new(c->f);
}

/* Finish and return what was written (NUL-terminated); the caller frees c->buf. */
static const char *close_capture(struct capture *c)
{
	assert_int_equal(svg_writer__finish(c->w), 0);
	svg_writer__free(c->w);
	fclose(c->f);
	return c->buf;
}

static void test_text_escaping(void **state)
{
	const char in[] =
		"a<b>&\"'\t\n\r\x01\x7f\xc3\xa9\xff\xed\xa0\x80\xef\xbf\xbf\xf4\x90\x80\x80z\0y";
	struct capture c;

	open_capture(&c);
	svg_writer__text(c.w, in, sizeof(in) - 1);
	assert_string_equal(
		close_capture(&c),
		"a&lt;b&gt;&amp;&quot;&#39;&#9;&#10;&#13;\xef\xbf\xbd\x7f\xc3\xa9"
		/* 0xff, a UTF-16 surrogate (3 bytes), U+FFFF, above U+10FFFF (4 bytes) */
		"\xef\xbf\xbd"
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		"\xef\xbf\xbd"
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		"z\xef\xbf\xbdy");
	free(c.buf);

	/* byte mode: high bytes pass, ASCII controls become '?' */
	open_capture(&c);
	svg_writer__set_utf8(c.w, false);
	svg_writer__text(c.w, "caf\xe9\x01<", 6);
	assert_string_equal(close_capture(&c), "caf\xe9?&lt;");
	free(c.buf);
}

static void test_sanitize_and_prefix(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	n = fs_xml_sanitize("a\xc3\xa9\xff<", 5, true, &sb);
	assert_int_equal(n, 4);
	assert_string_equal(sb.buf, "a\xc3\xa9\xef\xbf\xbd<");
	assert_int_equal(fs_utf8_prefix_len(sb.buf, sb.len, 2, true), 3);
	assert_int_equal(fs_utf8_prefix_len(sb.buf, sb.len, 3, true), 6);
	assert_int_equal(fs_utf8_prefix_len(sb.buf, sb.len, 99, true), sb.len);
	assert_int_equal(fs_utf8_prefix_len(sb.buf, sb.len, 2, false), 2);
	strbuf_reset(&sb);
	fs_xml_escape("x<&\xc3\xa9", 5, &sb);
	assert_string_equal(sb.buf, "x&lt;&amp;\xc3\xa9");
	strbuf_release(&sb);
}

static void test_json_string(void **state)
{
	struct capture c;

	const char in[] = "a\"b\\c</script>]]>&\n\x01\xe2\x80\xa8\xff";

	/* controls XML forbids are replaced before JSON escaping, like everywhere else */
	open_capture(&c);
	svg_writer__json_string(c.w, in, sizeof(in) - 1);
	assert_string_equal(close_capture(&c),
			    "\"a\\\"b\\\\c\\u003c/script\\u003e]]\\u003e\\u0026\\u000a\xef\xbf\xbd"
			    "\\u2028\xef\xbf\xbd\"");
	free(c.buf);
}

static void test_comment_and_cdata(void **state)
{
	struct capture c;

	open_capture(&c);
	svg_writer__comment_text(c.w, "a--b---c-", 9);
	assert_string_equal(close_capture(&c), "a- -b- - -c- ");
	free(c.buf);

	open_capture(&c);
	svg_writer__cdata_body(c.w, "x]]>y]]>", 8);
	assert_string_equal(close_capture(&c), "x]]]]><![CDATA[>y]]]]><![CDATA[>");
	free(c.buf);
}

static void test_numbers(void **state)
{
	struct capture c;

	open_capture(&c);
	svg_writer__fixed2(c.w, 0);
	svg_writer__ch(c.w, ' ');
	svg_writer__fixed2(c.w, 12.3);
	svg_writer__ch(c.w, ' ');
	svg_writer__fixed2(c.w, 1179.996);
	svg_writer__ch(c.w, ' ');
	svg_writer__fixed2(c.w, -0.004);
	svg_writer__ch(c.w, ' ');
	svg_writer__fixed2(c.w, -2.5);
	svg_writer__ch(c.w, ' ');
	svg_writer__coord(c.w, 37);
	svg_writer__ch(c.w, ' ');
	svg_writer__coord(c.w, 47.5);
	svg_writer__ch(c.w, ' ');
	svg_writer__coord(c.w, 0.25);
	svg_writer__ch(c.w, ' ');
	svg_writer__coord(c.w, -3.1);
	svg_writer__ch(c.w, ' ');
	svg_writer__count(c.w, 1234567);
	svg_writer__ch(c.w, ' ');
	svg_writer__count(c.w, 0.5);
	svg_writer__ch(c.w, ' ');
	svg_writer__count(c.w, 1e20);
	assert_string_equal(close_capture(&c),
			    "0.00 12.30 1180.00 0.00 -2.50 37 47.5 0.25 -3.1 1234567 0.5 1e+20");
	free(c.buf);
}

static void test_large_output_and_errors(void **state)
{
	struct svg_writer *w;
	struct capture c;
	FILE *full;
	int i;

	/* more than the internal buffer, in pieces */
	open_capture(&c);
	for (i = 0; i < 100000; i++)
		svg_writer__printf(c.w, "<%d>", i % 10);
	close_capture(&c);
	assert_int_equal(c.len, 300000);
	free(c.buf);

	full = fopen("/dev/full", "w");
	if (!full)
		skip();
	w = svg_writer__new(full);
	for (i = 0; i < 100000; i++)
		svg_writer__str(w, "0123456789");
	assert_int_equal(svg_writer__finish(w), -ENOSPC);
	svg_writer__free(w);
	svg_writer__free(NULL);
	fclose(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_sanitize_and_prefix),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_comment_and_cdata),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_large_output_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
