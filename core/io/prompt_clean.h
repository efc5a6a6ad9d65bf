// Prompt cleaning: the reference's clean='whitespace' (wan/modules/tokenizers.py), as far as C++
// reproduces it:
//   text = ftfy.fix_text(text); text = html.unescape(html.unescape(text)); text = text.strip()
//   text = regex.sub(r'\s+', ' ', text); text = text.strip()
//
// What is reproduced exactly (on valid UTF-8):
//   - html.unescape (Python 3.11): numeric references &#NNN; / &#xHH; (with or without ';', the
//     HTML5 replacements for 0, 0x80-0x9F, surrogates, > U+10FFFF and the dropped non-characters)
//     and named references with HTML5's longest-prefix rule for names without ';'.
//   - strip() (Python's str.isspace set: Unicode White_Space plus U+001C..U+001F) and \s+ of the
//     `regex` module (Unicode White_Space).
//   - these steps of ftfy.fix_text (6.x, default config), per line, repeated until nothing changes:
//     unescape_html (off from the first line holding '<' on), fix_c1_controls (C1 -> Windows-1252),
//     fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks, fix_surrogates (an
//     invalid UTF-8 byte becomes U+FFFD, as Python's surrogateescape + fix_surrogates does),
//     remove_terminal_escapes, remove_control_chars.
//
// What differs:
//   - ftfy's fix_encoding is not done: mojibake ("cafÃ©" -> "café"), restore_byte_a0,
//     replace_lossy_sequences and decode_inconsistent_utf8 are left as they are. fix_c1_controls
//     then runs on text that ftfy might have repaired first.
//   - ftfy's final NFC normalization is not done. When the SentencePiece model normalizes with NFKC
//     (T5's nmt_nfkc), NFKC(NFC(x)) == NFKC(x), so the ids do not change.
//   - Named entities: the HTML 4.01 set, &apos; and the upper-case &AMP; &COPY; &GT; &LT; &QUOT;
//     &REG; (259 names; HTML5 has 2231). Other HTML5-only names (&check;, &NewLine;, ...) stay
//     literal; ftfy's upper-cased names (&EACUTE; -> É) are limited to the same set.
//   - ftfy splits text longer than 1,000,000 code points without a line break; this does not.
#pragma once
#include <string>

namespace ablate::io {

/// The whole cleaning above: UTF-8 in, UTF-8 out.
std::string clean_prompt(const std::string& text);

/// Python's html.unescape (entity table as above).
std::string html_unescape(const std::string& text);

/// The reproduced subset of ftfy.fix_text (above).
std::string ftfy_fix_text(const std::string& text);

/// strip(), every run of Unicode White_Space -> one ' ', strip().
std::string collapse_whitespace(const std::string& text);

/// UTF-8 -> code points; each byte that starts no valid sequence becomes U+FFFD (overlong forms,
/// surrogates and values > U+10FFFF are invalid).
std::u32string utf8_to_utf32(const std::string& text);
std::string utf32_to_utf8(const std::u32string& text);

}  // namespace ablate::io
