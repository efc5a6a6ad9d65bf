// A number as fixed-point text for the Markdown tables and console output ("9006.7").
#pragma once
#include <iomanip>
#include <sstream>
#include <string>

namespace ablate {

inline std::string fixed_text(double v, int digits = 1) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

}  // namespace ablate
