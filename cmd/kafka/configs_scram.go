package main

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"math/big"
	"regexp"
	"strconv"
)

// SCRAM credentials given to kafka-configs --zookeeper ("SCRAM-SHA-256=[password=p]") are
// stored salted, as ScramFormatter.generateCredential and ScramCredentialUtils write them.

const defaultScramIterations = 4096

type scramMechanism struct {
	name, enum string
	hash       func() hash.Hash
}

var scramMechanisms = []scramMechanism{
	{"SCRAM-SHA-256", "SCRAM_SHA_256", sha256.New},
	{"SCRAM-SHA-512", "SCRAM_SHA_512", sha512.New},
}

var scramCredentialRe = regexp.MustCompile(`^(?:iterations=([0-9]*),)?password=(.*)$`)

// scramSalt is ScramFormatter.secureRandomBytes: the UTF-8 bytes of a random 130-bit
// number written in base 36.
func scramSalt() ([]byte, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 130))
	if err != nil {
		return nil, err
	}
	return []byte(n.Text(36)), nil
}

func scramCredential(m scramMechanism, password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(m.hash, password, salt, iterations, m.hash().Size())
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(m.hash, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	h := m.hash()
	h.Write(clientKey)
	stored := h.Sum(nil)
	server := mac(salted, "Server Key")
	enc := base64.StdEncoding.EncodeToString
	return "salt=" + enc(salt) + ",stored_key=" + enc(stored) + ",server_key=" + enc(server) +
		",iterations=" + strconv.Itoa(iterations), nil
}

// preProcessScram replaces SCRAM-SHA-* passwords in configs with stored credentials.
func preProcessScram(configs map[string]string) error {
	for _, m := range scramMechanisms {
		v, ok := configs[m.name]
		if !ok {
			continue
		}
		match := scramCredentialRe.FindStringSubmatch(v)
		if match == nil {
			return illegalArgument("Invalid credential property %s=%s", m.enum, v)
		}
		iterations := defaultScramIterations
		if match[1] != "" {
			n, err := strconv.Atoi(match[1])
			if err != nil {
				return newJavaError("java.lang.NumberFormatException", "For input string: \"%s\"", match[1])
			}
			iterations = n
		}
		if iterations < defaultScramIterations {
			return illegalArgument("Iterations %d is less than the minimum %d required for %s", iterations, defaultScramIterations, m.enum)
		}
		salt, err := scramSalt()
		if err != nil {
			return err
		}
		cred, err := scramCredential(m, match[2], salt, iterations)
		if err != nil {
			return err
		}
		configs[m.name] = cred
	}
	return nil
}
