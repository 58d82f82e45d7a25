// placeholder: replaced by the command
#include <mmkit/mmkit.h>
int main(void) { return mmk_boot(NULL) ? 1 : 0; }
