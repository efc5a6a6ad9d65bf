// Data tables of the prompt cleaning (core/io/prompt_clean.cpp), generated into
// prompt_clean_tables.cpp by scripts/gen_prompt_clean_tables.py from Python's html.entities and
// unicodedata.
#pragma once
#include <cstddef>

namespace ablate::io::detail {

/// One named character reference: `&name;` (and `&name` without ';' when legacy) -> value (UTF-8).
struct HtmlEntity {
  const char* name;
  const char* value;
  bool legacy;  // HTML5 also decodes the name without the trailing ';'
};

/// One code point of ftfy's width map -> its standard-width replacement (UTF-8).
struct WidthMapping {
  char32_t code_point;
  const char* value;
};

extern const HtmlEntity kHtmlEntities[];   // HTML 4.01 names + apos + AMP/COPY/GT/LT/QUOT/REG
extern const size_t kHtmlEntityCount;
extern const HtmlEntity kUpperEntities[];  // ftfy's upper-cased names (&EACUTE; -> É)
extern const size_t kUpperEntityCount;
extern const WidthMapping kWidthMap[];     // U+3000 and U+FF01..U+FFEF
extern const size_t kWidthMapCount;

}  // namespace ablate::io::detail
