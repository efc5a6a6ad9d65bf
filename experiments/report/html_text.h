// Text helpers for the HTML report: escaping (every ledger string goes through html_escape) and
// the number formats the report prints.
#pragma once
#include <string>

namespace ablate {

/// `s` with & < > " ' replaced by entities: safe as element text and as a quoted attribute value.
std::string html_escape(const std::string& s);

/// `v` with `digits` decimals ("12.35"); "–" for NaN or infinity.
std::string format_fixed(double v, int digits);

/// A byte count in binary units ("512 B", "3.0 KiB", "1.25 GiB").
std::string format_bytes(double bytes);

/// `bytes` in standard base64 (RFC 4648, with padding): data: URLs.
std::string base64_encode(const std::string& bytes);

/// `s` cut to at most `max_chars` UTF-8 characters, ending in "…" when cut (chart labels).
std::string truncate_label(const std::string& s, size_t max_chars);

}  // namespace ablate
