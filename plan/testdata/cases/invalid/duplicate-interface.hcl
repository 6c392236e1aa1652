# error at line 14: an interface name given twice in one jail
lab "x" {}
jail "a" {}
jail "b" {}
jail "c" {}
link "a-b" {
  between    = ["a", "b"]
  subnet     = "10.0.0.0/24"
  interfaces = ["em0", "em0"]
}
link "a-c" {
  between    = ["a", "c"]
  subnet     = "10.0.1.0/24"
  interfaces = ["em0", "em1"]
}
