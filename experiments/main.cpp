// The `ablate` command line (subcommands are added by later issues).
#include <iostream>

int main(int argc, char** argv) {
  std::cerr << "ablate: not yet implemented\n";
  return 1;
}
