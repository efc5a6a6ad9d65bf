// Prompt cleaning: UTF-8 <-> code points, Python's html.unescape, the reproduced ftfy steps and the
// whitespace collapse. All work is on code points, as Python's str is.
#include "core/io/prompt_clean.h"

#include <unordered_map>

#include "core/io/prompt_clean_tables.h"

namespace ablate::io {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Windows-1252 for 0x80..0x9F; the five bytes it leaves undefined stay as they are (ftfy's
// "sloppy" codec). html.unescape uses the same table for &#128; .. &#159;.
constexpr char32_t kCp1252C1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Unicode White_Space: the `regex` module's \s.
bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Python's str.isspace (what strip() removes): White_Space plus the separators U+1C..U+1F.
bool is_python_space(char32_t c) { return is_white_space(c) || (c >= 0x1C && c <= 0x1F); }

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_alpha(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex_digit(char32_t c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string ascii_of(const std::u32string& s, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) out.push_back(s[i] < 0x80 ? static_cast<char>(s[i]) : '\x01');
  return out;  // non-ASCII becomes \x01, which no entity name holds
}

struct EntityValue {
  std::u32string value;
  bool legacy;
};

// name (no '&', no ';') -> value, for the table given
std::unordered_map<std::string, EntityValue> build_map(const detail::HtmlEntity* table, size_t n) {
  std::unordered_map<std::string, EntityValue> map;
  for (size_t i = 0; i < n; ++i) map.emplace(table[i].name, EntityValue{utf8_to_utf32(table[i].value), table[i].legacy});
  return map;
}

const std::unordered_map<std::string, EntityValue>& html_entities() {
  static const auto map = build_map(detail::kHtmlEntities, detail::kHtmlEntityCount);
  return map;
}

const std::unordered_map<std::string, EntityValue>& upper_entities() {
  static const auto map = build_map(detail::kUpperEntities, detail::kUpperEntityCount);
  return map;
}

const std::unordered_map<char32_t, std::u32string>& width_map() {
  static const auto map = [] {
    std::unordered_map<char32_t, std::u32string> m;
    for (size_t i = 0; i < detail::kWidthMapCount; ++i)
      m.emplace(detail::kWidthMap[i].code_point, utf8_to_utf32(detail::kWidthMap[i].value));
    return m;
  }();
  return map;
}

// Python's int(digits, base) > 0x10FFFF only matters as "too large": saturate there.
char32_t parse_number(const std::u32string& s, size_t begin, size_t end, int base) {
  uint64_t value = 0;
  for (size_t i = begin; i < end; ++i) {
    const char32_t c = s[i];
    const uint64_t digit = is_ascii_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    value = value * static_cast<uint64_t>(base) + digit;
    if (value > 0x10FFFF) return 0x110000;
  }
  return static_cast<char32_t>(value);
}

// html.unescape's numeric rule: HTML5's replacement table, U+FFFD, or nothing.
std::u32string numeric_reference(char32_t num) {
  if (num == 0) return std::u32string(1, kReplacement);
  if (num == 0x0D) return U"\r";
  if (num >= 0x80 && num <= 0x9F) return std::u32string(1, kCp1252C1[num - 0x80]);
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return std::u32string(1, kReplacement);
  const bool dropped = (num >= 0x01 && num <= 0x08) || num == 0x0B || (num >= 0x0E && num <= 0x1F) ||
                       num == 0x7F || (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE;
  if (dropped) return U"";
  return std::u32string(1, num);
}

// html.unescape's pattern &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) at s[amp]:
// on a match, appends the replacement to out and returns the index after the match; else npos.
size_t unescape_reference_at(const std::u32string& s, size_t amp, std::u32string& out) {
  const size_t n = s.size();
  size_t i = amp + 1;
  if (i < n && s[i] == '#') {
    size_t j = i + 1;
    int base = 10;
    if (j < n && is_ascii_digit(s[j])) {
      while (j < n && is_ascii_digit(s[j])) ++j;
    } else if (j + 1 < n && (s[j] == 'x' || s[j] == 'X') && is_hex_digit(s[j + 1])) {
      base = 16;
      ++j;
      while (j < n && is_hex_digit(s[j])) ++j;
    } else {
      return std::u32string::npos;  // '#' is outside the name class, so no named match either
    }
    const size_t digits_begin = base == 16 ? i + 2 : i + 1;
    out += numeric_reference(parse_number(s, digits_begin, j, base));
    if (j < n && s[j] == ';') ++j;
    return j;
  }
  auto in_name_class = [](char32_t c) {
    return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
  };
  size_t j = i;
  while (j < n && j - i < 32 && in_name_class(s[j])) ++j;
  if (j == i) return std::u32string::npos;
  const bool semicolon = j < n && s[j] == ';';
  const size_t match_end = semicolon ? j + 1 : j;
  const auto& map = html_entities();
  const std::string name = ascii_of(s, i, j);
  const auto exact = map.find(name);
  if (exact != map.end() && (semicolon || exact->second.legacy)) {
    out += exact->second.value;
    return match_end;
  }
  // the longest legacy name (no ';') that prefixes the match, at least 2 characters
  for (size_t len = match_end - i - 1; len >= 2; --len) {
    const auto prefix = map.find(name.substr(0, len));
    if (prefix != map.end() && prefix->second.legacy) {
      out += prefix->second.value;
      out.append(s, i + len, match_end - (i + len));
      return match_end;
    }
  }
  out.append(s, amp, match_end - amp);  // '&' + s: unchanged
  return match_end;
}

std::u32string html_unescape32(const std::u32string& s) {
  if (s.find(U'&') == std::u32string::npos) return s;
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      const size_t next = unescape_reference_at(s, i, out);
      if (next != std::u32string::npos) {
        i = next;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

// ftfy's unescape_html: &#?[0-9A-Za-z]{1,24}; replaced when it is a known name (case-sensitive, or
// one of the upper-cased names), or a numeric reference html.unescape decodes without a ';' left.
std::u32string ftfy_unescape_html(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    if (s[i] == '&') {
      size_t j = i + 1;
      const bool hash = j < n && s[j] == '#';
      if (hash) ++j;
      const size_t name_begin = j;
      while (j < n && j - name_begin <= 24 && (is_ascii_digit(s[j]) || is_ascii_alpha(s[j]))) ++j;
      const size_t len = j - name_begin;
      if (len >= 1 && len <= 24 && j < n && s[j] == ';') {
        const std::u32string match = s.substr(i, j + 1 - i);
        bool replaced = false;
        if (!hash) {
          const std::string name = ascii_of(s, name_begin, j);
          if (auto it = html_entities().find(name); it != html_entities().end()) {
            out += it->second.value;
            replaced = true;
          } else if (auto up = upper_entities().find(name); up != upper_entities().end()) {
            out += up->second.value;
            replaced = true;
          }
        } else {
          const std::u32string decoded = html_unescape32(match);
          if (decoded.find(U';') == std::u32string::npos) {
            out += decoded;
            replaced = true;
          }
        }
        if (!replaced) out += match;
        i = j + 1;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

// ESC '[' [0-9;]* [A-Za-z]  (ftfy's ANSI_RE; \d taken as ASCII digits)
std::u32string remove_terminal_escapes(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == 0x1B && i + 1 < s.size() && s[i + 1] == '[') {
      size_t j = i + 2;
      while (j < s.size() && (is_ascii_digit(s[j]) || s[j] == ';')) ++j;
      if (j < s.size() && is_ascii_alpha(s[j])) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

const std::u32string* latin_ligature(char32_t c) {
  static const std::unordered_map<char32_t, std::u32string> map = {
      {0x0132, U"IJ"}, {0x0133, U"ij"}, {0x0149, U"\u02BCn"}, {0x01F1, U"DZ"}, {0x01F2, U"Dz"},
      {0x01F3, U"dz"}, {0x01C4, U"D\u017D"}, {0x01C5, U"D\u017E"}, {0x01C6, U"d\u017E"},
      {0x01C7, U"LJ"}, {0x01C8, U"Lj"}, {0x01C9, U"lj"}, {0x01CA, U"NJ"}, {0x01CB, U"Nj"},
      {0x01CC, U"nj"}, {0xFB00, U"ff"}, {0xFB01, U"fi"}, {0xFB02, U"fl"}, {0xFB03, U"ffi"},
      {0xFB04, U"ffl"}, {0xFB05, U"\u017Ft"}, {0xFB06, U"st"}};
  const auto it = map.find(c);
  return it == map.end() ? nullptr : &it->second;
}

// One pass of a per-character translation (Python's str.translate).
template <typename F>
std::u32string translate(const std::u32string& s, F&& f) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) f(c, out);
  return out;
}

// One round of ftfy's fixers, in ftfy's order (fix_encoding and NFC are not reproduced).
std::u32string ftfy_round(const std::u32string& text, bool unescape) {
  std::u32string s = unescape ? ftfy_unescape_html(text) : text;
  s = translate(s, [](char32_t c, std::u32string& out) {  // fix_c1_controls
    if (c >= 0x80 && c <= 0x9F) c = kCp1252C1[c - 0x80];
    out.push_back(c);
  });
  s = translate(s, [](char32_t c, std::u32string& out) {  // fix_latin_ligatures
    if (const auto* lig = latin_ligature(c)) out += *lig; else out.push_back(c);
  });
  const auto& widths = width_map();
  s = translate(s, [&](char32_t c, std::u32string& out) {  // fix_character_width
    const auto it = widths.find(c);
    if (it != widths.end()) out += it->second; else out.push_back(c);
  });
  s = translate(s, [](char32_t c, std::u32string& out) {  // uncurl_quotes
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) c = '\'';
    else if (c >= 0x201C && c <= 0x201F) c = '"';
    out.push_back(c);
  });
  std::u32string breaks;  // fix_line_breaks: \r\n, \r, U+2028, U+2029, U+0085 -> \n
  breaks.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char32_t c = s[i];
    if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;  // the \n follows
    breaks.push_back((c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85) ? U'\n' : c);
  }
  // fix_surrogates: decoding already turned invalid bytes into U+FFFD
  s = remove_terminal_escapes(breaks);
  return translate(s, [](char32_t c, std::u32string& out) {  // remove_control_chars
    if (!is_removed_control(c)) out.push_back(c);
  });
}

std::u32string ftfy_fix_text32(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  bool unescape = true;  // "auto": off from the first line that holds '<'
  for (size_t pos = 0; pos < text.size();) {
    const size_t newline = text.find(U'\n', pos);
    const size_t end = newline == std::u32string::npos ? text.size() : newline + 1;
    std::u32string segment = text.substr(pos, end - pos);
    if (segment.find(U'<') != std::u32string::npos) unescape = false;
    while (true) {
      std::u32string fixed = ftfy_round(segment, unescape);
      if (fixed == segment) break;
      segment = std::move(fixed);
    }
    out += segment;
    pos = end;
  }
  return out;
}

std::u32string strip32(const std::u32string& s) {
  size_t begin = 0, end = s.size();
  while (begin < end && is_python_space(s[begin])) ++begin;
  while (end > begin && is_python_space(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

std::u32string collapse_whitespace32(const std::u32string& text) {
  const std::u32string s = strip32(text);
  std::u32string out;
  out.reserve(s.size());
  bool in_run = false;
  for (char32_t c : s) {
    if (is_white_space(c)) {
      if (!in_run) out.push_back(U' ');
      in_run = true;
    } else {
      out.push_back(c);
      in_run = false;
    }
  }
  return strip32(out);
}

}  // namespace

std::u32string utf8_to_utf32(const std::string& text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  for (size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    size_t len = 0;
    char32_t c = 0;
    if (b >= 0xC2 && b <= 0xDF && cont(i + 1)) {
      len = 2;
      c = ((b & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
    } else if (b >= 0xE0 && b <= 0xEF && cont(i + 1) && cont(i + 2)) {
      c = ((b & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
      if (c >= 0x800 && !(c >= 0xD800 && c <= 0xDFFF)) len = 3;  // no overlong form, no surrogate
    } else if (b >= 0xF0 && b <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      c = ((b & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
      if (c >= 0x10000 && c <= 0x10FFFF) len = 4;
    }
    if (len == 0) {
      out.push_back(kReplacement);  // one per byte, as surrogateescape + ftfy's fix_surrogates
      ++i;
    } else {
      out.push_back(c);
      i += len;
    }
  }
  return out;
}

std::string utf32_to_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::string html_unescape(const std::string& text) { return utf32_to_utf8(html_unescape32(utf8_to_utf32(text))); }

std::string ftfy_fix_text(const std::string& text) { return utf32_to_utf8(ftfy_fix_text32(utf8_to_utf32(text))); }

std::string collapse_whitespace(const std::string& text) {
  return utf32_to_utf8(collapse_whitespace32(utf8_to_utf32(text)));
}

std::string clean_prompt(const std::string& text) {
  std::u32string s = ftfy_fix_text32(utf8_to_utf32(text));
  s = html_unescape32(html_unescape32(s));
  return utf32_to_utf8(collapse_whitespace32(s));
}

}  // namespace ablate::io
