package wecom

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// padBlock is the PKCS#7 block size of the scheme: 32 bytes, not AES's 16.
const padBlock = 32

// Errors of the message crypto that callers can tell apart.
var (
	// ErrSignature: msg_signature does not match token, timestamp, nonce
	// and the encrypted message.
	ErrSignature = errors.New("wecom: bad msg_signature")
	// ErrCorpID: the message decrypts, but for another corp id.
	ErrCorpID = errors.New("wecom: message is for another corp id")
)

// Crypto is the WXBizMsgCrypt scheme of one app: SHA-1 signatures over the
// sorted token, timestamp, nonce and ciphertext, and AES-256-CBC with
// key = Base64(EncodingAESKey + "="), IV = the key's first 16 bytes, over
// 16 random bytes, the message length (4 bytes, big-endian), the message
// and the corp id, PKCS#7-padded to 32-byte blocks.
type Crypto struct {
	token  string
	key    []byte
	corpID string
}

// NewCrypto returns the Crypto of an app's Token, EncodingAESKey (43
// characters) and corp id.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	if token == "" {
		return nil, errors.New("wecom: empty token")
	}
	if corpID == "" {
		return nil, errors.New("wecom: empty corp id")
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom: EncodingAESKey is %d characters, want 43", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("wecom: EncodingAESKey is not Base64: %w", err)
	}
	return &Crypto{token: token, key: key, corpID: corpID}, nil
}

// Signature is the msg_signature of a ciphertext.
func (c *Crypto) Signature(timestamp, nonce, encrypted string) string {
	parts := []string{c.token, timestamp, nonce, encrypted}
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether sig is the msg_signature of encrypted, comparing
// in constant time.
func (c *Crypto) Verify(sig, timestamp, nonce, encrypted string) bool {
	want := c.Signature(timestamp, nonce, encrypted)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) == 1
}

// Decrypt returns the message inside a Base64 ciphertext. It fails with
// ErrCorpID when the message is for another corp.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("wecom: ciphertext is not Base64: %w", err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("wecom: ciphertext of %d bytes is not whole AES blocks", len(data))
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, data)

	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > padBlock || pad > len(plain) {
		return nil, fmt.Errorf("wecom: bad padding (wrong EncodingAESKey?)")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("wecom: bad padding (wrong EncodingAESKey?)")
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, fmt.Errorf("wecom: plaintext of %d bytes is too short", len(plain))
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, fmt.Errorf("wecom: message length %d exceeds the plaintext", n)
	}
	msg, corp := plain[20:20+n], plain[20+n:]
	if subtle.ConstantTimeCompare(corp, []byte(c.corpID)) != 1 {
		return nil, ErrCorpID
	}
	return msg, nil
}

// Encrypt returns msg encrypted for the app, in Base64, as a passive reply
// carries it.
func (c *Crypto) Encrypt(msg []byte) (string, error) {
	n := 20 + len(msg) + len(c.corpID)
	pad := padBlock - n%padBlock
	plain := make([]byte, n+pad)
	if _, err := rand.Read(plain[:16]); err != nil {
		return "", fmt.Errorf("wecom: %w", err)
	}
	binary.BigEndian.PutUint32(plain[16:20], uint32(len(msg)))
	copy(plain[20:], msg)
	copy(plain[20+len(msg):], c.corpID)
	for i := n; i < len(plain); i++ {
		plain[i] = byte(pad)
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", fmt.Errorf("wecom: %w", err)
	}
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain), nil
}
