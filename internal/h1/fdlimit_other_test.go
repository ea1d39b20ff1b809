//go:build !unix

package h1

const childEnv = "H1_TEST_CHILD"

func childMain() {}
