# error at line 4: a hostname over 64 bytes
lab "x" {}
jail "a" {
  hostname = "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh.hhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
}
