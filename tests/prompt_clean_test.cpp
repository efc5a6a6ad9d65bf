// Prompt cleaning: html.unescape (expected values from Python 3.11's html.unescape), the reproduced
// ftfy.fix_text steps (expected values from ftfy 6.3's documented behaviour and its tables), and
// the whitespace collapse of the `regex` module's \s.
#include "core/io/prompt_clean.h"

#include <gtest/gtest.h>

namespace ablate::io {
namespace prompt_clean_test {

TEST(PromptCleanTest, HtmlUnescapeMatchesPython) {
  // Literals: python3 -c 'import html; print(repr(html.unescape(s)))'
  EXPECT_EQ(html_unescape("&amp;amp;"), "&amp;");
  EXPECT_EQ(html_unescape("&ampx;"), "&x;");  // longest legacy prefix
  EXPECT_EQ(html_unescape("&amp"), "&");
  EXPECT_EQ(html_unescape("&notit;"), "\xC2\xAC" "it;");
  EXPECT_EQ(html_unescape("&#65;&#x42;&#X43"), "ABC");
  EXPECT_EQ(html_unescape("&#0;&#128;&#13;&#1;&#xD800;&#99999999999;"),
            "\xEF\xBF\xBD\xE2\x82\xAC\r\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_unescape("&lt&gt&quot"), "<>\"");
  EXPECT_EQ(html_unescape("a &copy 2024 &COPY; &Copy;"), "a \xC2\xA9 2024 \xC2\xA9 &Copy;");
  EXPECT_EQ(html_unescape("&#x;&#;&;&&amp;"), "&#x;&#;&;&&");
  EXPECT_EQ(html_unescape("&eacute&eacute;&Eacute;"), "\xC3\xA9\xC3\xA9\xC3\x89");
  EXPECT_EQ(html_unescape("&frac12 &frac12; &frac1"), "\xC2\xBD \xC2\xBD &frac1");
  EXPECT_EQ(html_unescape("x&nbsp;y"), "x\xC2\xA0y");
  EXPECT_EQ(html_unescape("&apos;&apos"), "'&apos");  // apos has no legacy form
  EXPECT_EQ(html_unescape("&#65abc"), "Aabc");
  EXPECT_EQ(html_unescape("&#xfffe;&#xfdd0;&#x10ffff;"), "");
  EXPECT_EQ(html_unescape("&hellip;&mdash;&rsquo;&trade;&alpha;"),
            "\xE2\x80\xA6\xE2\x80\x94\xE2\x80\x99\xE2\x84\xA2\xCE\xB1");
  // HTML5-only names are outside the table (documented difference): Python gives a check mark.
  EXPECT_EQ(html_unescape("&check;"), "&check;");
}

TEST(PromptCleanTest, WhitespaceIsUnicodeWhiteSpace) {
  // NBSP, ideographic space, line separator, NEL, tabs and newlines are White_Space: one space.
  EXPECT_EQ(collapse_whitespace(" \t a\xC2\xA0\xE3\x80\x80" "b \n\xE2\x80\xA8" "c\xC2\x85 d  "), "a b c d");
  // U+001C..U+001F: Python's strip() removes them, \s of `regex` does not match them.
  EXPECT_EQ(collapse_whitespace("\x1C" "a\x1F b\x1E"), "a\x1F b");
  // zero-width space and U+180E are not White_Space
  EXPECT_EQ(collapse_whitespace("a\xE2\x80\x8B b\xE1\xA0\x8E"), "a\xE2\x80\x8B b\xE1\xA0\x8E");
  EXPECT_EQ(collapse_whitespace(" \n\t "), "");
}

TEST(PromptCleanTest, FtfyUnescapesToAFixedPointUnlessTheLineHoldsALessThan) {
  // ftfy repeats its fixes until nothing changes, then html.unescape runs twice more.
  EXPECT_EQ(clean_prompt("x &amp;amp;amp;amp;"), "x &");
  // With '<' ftfy leaves entities alone: only the two html.unescape calls remain.
  EXPECT_EQ(clean_prompt("x < y &amp;amp;amp;"), "x < y &amp;");
  // Per line: the '<' switches unescaping off for its line and every later one.
  EXPECT_EQ(clean_prompt("a &amp;amp;amp;\n< b\n&amp;amp;amp;"), "a & < b &amp;");
  // ftfy's numeric rule keeps a reference whose decoding leaves a ';' (here "\f" "a;").
  EXPECT_EQ(ftfy_fix_text("x&#12a;"), "x&#12a;");
  EXPECT_EQ(clean_prompt("x&#12a;"), "x a;");
  // ftfy's upper-cased names
  EXPECT_EQ(ftfy_fix_text("P&EACUTE;REZ"), "P\xC3\x89REZ");
  EXPECT_EQ(ftfy_fix_text("BUNDESSTRA&SZLIG;E"), "BUNDESSTRASSE");
  EXPECT_EQ(clean_prompt("&ntilde; &Ntilde; &NTILDE; &nTILDE;"), "\xC3\xB1 \xC3\x91 \xC3\x91 &nTILDE;");
  // fullwidth "&amp;" becomes "&amp;" in the first round and "&" in the second
  EXPECT_EQ(ftfy_fix_text("\xEF\xBC\x86\xEF\xBD\x81\xEF\xBD\x8D\xEF\xBD\x90\xEF\xBC\x9B"), "&");
}

TEST(PromptCleanTest, FtfyCharacterFixes) {
  // uncurl_quotes
  EXPECT_EQ(ftfy_fix_text("\xE2\x80\x9Chere\xE2\x80\x99s a test\xE2\x80\x9D"), "\"here's a test\"");
  // fix_latin_ligatures; U+0149 becomes U+02BC n, which uncurl_quotes then straightens
  EXPECT_EQ(ftfy_fix_text("\xEF\xAC\x82u\xEF\xAC\x83" "e\xEF\xAC\x86"), "fluffiest");
  EXPECT_EQ(ftfy_fix_text("\xC5\x89"), "'n");
  // fix_character_width: fullwidth Latin, ideographic space, halfwidth katakana
  EXPECT_EQ(ftfy_fix_text("\xEF\xBC\xAC\xEF\xBC\xAF\xEF\xBC\xB5\xEF\xBC\xA4\xE3\x80\x80\xEF\xBC\xAE"), "LOUD N");
  EXPECT_EQ(ftfy_fix_text("\xEF\xBC\xB5\xEF\xBE\x80\xEF\xBD\xB0\xEF\xBE\x9D"), "U\xE3\x82\xBF\xE3\x83\xBC\xE3\x83\xB3");
  // fix_c1_controls (Windows-1252) runs before fix_line_breaks, so U+0085 is an ellipsis; the
  // curly quotes it makes are uncurled in the same round; U+0081 has no Windows-1252 character.
  EXPECT_EQ(ftfy_fix_text("a\xC2\x85" "b\xC2\x93q\xC2\x94\xC2\x81"), "a\xE2\x80\xA6" "b\"q\"\xC2\x81");
  // remove_terminal_escapes
  EXPECT_EQ(ftfy_fix_text("\x1B[36;44mblue\x1B[0m"), "blue");
  // remove_control_chars: C0 controls but \t \n \f \r, DEL, U+206A..F, BOM, U+FFF9..FFFC
  EXPECT_EQ(ftfy_fix_text(std::string("a\x00" "b\x0B" "c\xEF\xBB\xBF" "d\xE2\x81\xAA" "e\xEF\xBF\xBC" "f\x7F", 18)),
            "abcdef");
  EXPECT_EQ(clean_prompt("a\x0B" "b\tc"), "ab c");  // vertical tab removed, not a space
  // fix_line_breaks
  EXPECT_EQ(ftfy_fix_text("a\r\nb\rc\xE2\x80\xA9" "d"), "a\nb\nc\nd");
}

TEST(PromptCleanTest, Utf8DecodingReplacesEachInvalidByte) {
  EXPECT_EQ(utf8_to_utf32("a\xFF" "b"), U"a\uFFFDb");
  EXPECT_EQ(utf8_to_utf32("\xE2\x82" "A"), U"\uFFFD\uFFFDA");        // truncated sequence
  EXPECT_EQ(utf8_to_utf32("\xC0\xAF"), U"\uFFFD\uFFFD");             // overlong '/'
  EXPECT_EQ(utf8_to_utf32("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");   // surrogate
  EXPECT_EQ(utf8_to_utf32("\xE2\x82\xAC\xF0\x9F\x98\x80"), U"\u20AC\U0001F600");
  EXPECT_EQ(utf32_to_utf8(U"\u20AC\U0001F600a\u00E9"), "\xE2\x82\xAC\xF0\x9F\x98\x80" "a\xC3\xA9");
  EXPECT_EQ(clean_prompt("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
}

TEST(PromptCleanTest, PlainPromptIsUnchanged) {
  const std::string prompt = "A lakeside at dusk; the camera pans left, slowly. Caf\xC3\xA9 lights glow.";
  EXPECT_EQ(clean_prompt(prompt), prompt);
  EXPECT_EQ(clean_prompt("  A  lakeside\n\nat dusk  "), "A lakeside at dusk");
  EXPECT_EQ(clean_prompt(""), "");
}

}  // namespace prompt_clean_test
}  // namespace ablate::io
