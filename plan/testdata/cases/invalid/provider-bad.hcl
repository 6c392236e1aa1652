# error at line 3: a provider netlab does not have
lab "x" {
  provider = "openbsd"
}
