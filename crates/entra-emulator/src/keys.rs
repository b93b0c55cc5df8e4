//! The emulator's signing key: a fixed RSA-2048 key, generated for this project with
//! `openssl genrsa`. The emulator is a test double on loopback, not a security boundary;
//! a fixed key keeps start-up instant (RSA generation is slow in debug builds) and makes
//! tokens verifiable across restarts.

pub const KEY_ID: &str = "entra-emulator-1";

pub const PRIVATE_KEY_PEM: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIEpAIBAAKCAQEAqoP3JNEVye+YHO7Ar2Wx3os2cwNoREU8W5lCFEkDhAVCNLrQ\n\
k7pUQyJTjyqVfqicCctUTRET2y9LxvAqH6Jbvp+CjanBLN2IZaJ8qiktRapjjzoW\n\
vP8E6qxRRRl+93XPGCxPr8qhYEBZ+FfKFE3nuY6lh1bDQwrveIJXj7NO6XWr2O0s\n\
fICFuZ+exlNmsSYvx++VcIRzTJIxKmhhRsB6FGZaK/rUljHzqjvbyB1lA+Q+Lft/\n\
ndl2K7HMQIf9M7/aG7jRUAW+GwGR4RaJTcDSrSu69Ih0vVIKxeL0Ac8M0Os2S2K+\n\
L+t4jwk6EnsxTRfSWMVLb4buEmMwqxgTC4ck2QIDAQABAoIBACjlOZME6nriEdNu\n\
l5v5ge1j6g0vlgQ5rr4xRZ3j3Qn+0OAgpgGoQKlRREUj63LTMYlP0Moi/GYnM79k\n\
vlWT9PkE/KTJP+FoyFvH2qpc8dSxhutE/Usaxq0Z4uv1r3PeN2sOxZXdvVJ+XJWp\n\
SHgSLy9bvOt2raIYr1JxwFpgoN5wy7dAs04tiza4rcs/ZWTC73jk8UpDdMS58n7R\n\
cXZn5BJ+voaM8NpsyXaRPPlD2Uq7LPvfebEdrbVva82vIamfQVVIFV9tVJzw8zOJ\n\
fHikoFo9B7/dJco+5LsPS3d0NDk+Qe/DorXXJoMwD9KsNBnOXtfx+CMyiH+VHpMN\n\
QaXu11kCgYEA5d5K6K/4B1vgBewNYJQo4rf54mlfXBhOPX9h3dtIYALERY/Ge5k3\n\
KLB7ZA0n0fGwbxYKO3RjVXqxc1eED5C14TcII9GkFXfpbet465tYbxIqrq1hCx/V\n\
b29PTr2nCEg88lBy5FIa1vCLNHnMBhmDMXzikb6770sL7EdBn27WKCsCgYEAveZd\n\
r+5EIWU1q3x5J6EjJfnme/U/4eCaezqlTr/6GOwo2wfWizpSlPpsqXZ5nvOCi5U3\n\
DA9IN6NVmy44WcVKvyFzTCM6RqZThVDHiewceaTiVKz3TmSiPx8imtSQEJARNN2P\n\
4UTyZ6oL9qIIWBalp28K0p+VOGaBFvqX7jOhwQsCgYAB1LVwCQbGuDqekXTB0ixJ\n\
MgHxhblWuHLXFo6m/7oh2aPKkgyYq22/CzjQYTJx/6TSHbDTLGgmJCYJrybEIPjx\n\
5EhSULcn3J6lW3zJE6GusMxaO9NMDWLb0l0lWWldLYYev/lKTEUedSgGsPmpCsb6\n\
u+3qD0Tb8RMVPLQPGwjlpQKBgQCotm8L6+KpzNJ27ZpyA+5HQhNsk8JSuopk6wCM\n\
y3C2DbJqjjck8QcHhsldcX2yI2QbANGsLDOcAsf+m3zC/M5gqqZVwYJ33DOd4Nu2\n\
hIfz5vKSCi2ZfzzKWa4T4r+vh19SGXpHyEqYoPIKB4DkShKYg8YYxGD9f8w2jyLG\n\
JScTawKBgQCojfj5N5XUBkCfvzTzrvN/3Wj84NtEeu7RSTxYabWF65Z+bAgKXLm7\n\
e8uH4mCD5NARM1894Z1aqhEjr3fEOcHvrMg5xdkxmwDBNCU6jXh7wL1M/9napk3u\n\
AksXHzDV7iCtErfAsIjilThuWBAwRgzGxczwE2AqV4xDhgS+eyQOpQ==\n\
-----END RSA PRIVATE KEY-----\n\
";

/// The public modulus, base64url, for the JWKS.
pub const MODULUS_B64URL: &str = "qoP3JNEVye-YHO7Ar2Wx3os2cwNoREU8W5lCFEkDhAVCNLrQk7pUQyJTjyqVfqicCctUTRET2y9LxvAqH6Jbvp-CjanBLN2IZaJ8qiktRapjjzoWvP8E6qxRRRl-93XPGCxPr8qhYEBZ-FfKFE3nuY6lh1bDQwrveIJXj7NO6XWr2O0sfICFuZ-exlNmsSYvx--VcIRzTJIxKmhhRsB6FGZaK_rUljHzqjvbyB1lA-Q-Lft_ndl2K7HMQIf9M7_aG7jRUAW-GwGR4RaJTcDSrSu69Ih0vVIKxeL0Ac8M0Os2S2K-L-t4jwk6EnsxTRfSWMVLb4buEmMwqxgTC4ck2Q";
pub const EXPONENT_B64URL: &str = "AQAB";
