# error at line 5: a link without between
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  subnet = "10.0.0.0/24"
}
