package storage_test

const crashChildEnv = "NLPSCOPE_STORAGE_CRASH_CHILD"

func crashChild() int { return 0 }
