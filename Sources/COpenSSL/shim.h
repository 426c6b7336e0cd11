#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <string.h>

// Function-like macros are not imported into Swift; these wrappers stand in for them.
static inline void poe_openssl_free(void *pointer) { OPENSSL_free(pointer); }

// Link-encryption helpers. Written in C so that the OSSL_PARAM arrays and EVP
// contexts live and die inside one call: no C string or context outlives its use.

/// HKDF-SHA256 (RFC 5869), extract and expand. Returns 1 on success.
static inline int poe_hkdf_sha256(const unsigned char *ikm, size_t ikm_len,
                                  const unsigned char *salt, size_t salt_len,
                                  const unsigned char *info, size_t info_len,
                                  unsigned char *out, size_t out_len) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL) return 0;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (ctx == NULL) return 0;
    static const unsigned char empty[1] = {0};
    OSSL_PARAM params[5];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(ikm_len ? ikm : empty), ikm_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(salt_len ? salt : empty), salt_len);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(info_len ? info : empty), info_len);
    params[4] = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    return ok == 1;
}

/// X25519 public key of a 32-byte private key. Returns 1 on success.
static inline int poe_x25519_public(const unsigned char private_key[32], unsigned char public_key[32]) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, private_key, 32);
    if (key == NULL) return 0;
    size_t length = 32;
    int ok = EVP_PKEY_get_raw_public_key(key, public_key, &length) == 1 && length == 32;
    EVP_PKEY_free(key);
    return ok;
}

/// X25519 shared secret. Fails (returns 0) for a peer key of small order, whose
/// shared secret would be all zeros.
static inline int poe_x25519_derive(const unsigned char private_key[32], const unsigned char peer_public[32],
                                    unsigned char secret[32]) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, private_key, 32);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_public, 32);
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    size_t length = 32;
    int ok = ctx != NULL && peer != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
             EVP_PKEY_derive_set_peer(ctx, peer) == 1 && EVP_PKEY_derive(ctx, secret, &length) == 1 &&
             length == 32;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(key);
    return ok;
}

/// ChaCha20-Poly1305 (RFC 8439): writes len bytes of ciphertext then the 16-byte tag.
static inline int poe_chacha_seal(const unsigned char key[32], const unsigned char nonce[12],
                                  const unsigned char *aad, size_t aad_len,
                                  const unsigned char *plain, size_t len, unsigned char *out) {
    if (len > 0x7fffffff || aad_len > 0x7fffffff) return 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return 0;
    int written = 0;
    int ok = EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce) == 1 &&
             (aad_len == 0 || EVP_EncryptUpdate(ctx, NULL, &written, aad, (int)aad_len) == 1) &&
             (len == 0 || EVP_EncryptUpdate(ctx, out, &written, plain, (int)len) == 1) &&
             EVP_EncryptFinal_ex(ctx, out + len, &written) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/// Opens what poe_chacha_seal wrote (sealed_len includes the tag). Returns 0 when the
/// tag does not authenticate the ciphertext and the associated data.
static inline int poe_chacha_open(const unsigned char key[32], const unsigned char nonce[12],
                                  const unsigned char *aad, size_t aad_len,
                                  const unsigned char *sealed, size_t sealed_len, unsigned char *out) {
    if (sealed_len < 16 || sealed_len > 0x7fffffff || aad_len > 0x7fffffff) return 0;
    size_t len = sealed_len - 16;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return 0;
    int written = 0;
    unsigned char tag[16];
    memcpy(tag, sealed + len, 16);
    int ok = EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce) == 1 &&
             (aad_len == 0 || EVP_DecryptUpdate(ctx, NULL, &written, aad, (int)aad_len) == 1) &&
             (len == 0 || EVP_DecryptUpdate(ctx, out, &written, sealed, (int)len) == 1) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
             EVP_DecryptFinal_ex(ctx, out + len, &written) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
