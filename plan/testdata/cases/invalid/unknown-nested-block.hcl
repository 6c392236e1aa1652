# error at line 4: a block type that a jail does not have
lab "x" {}
jail "a" {
  interface "em0" {}
}
