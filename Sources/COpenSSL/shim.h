#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

// Function-like macros are not imported into Swift; these wrappers stand in for them.
static inline void poe_openssl_free(void *pointer) { OPENSSL_free(pointer); }
