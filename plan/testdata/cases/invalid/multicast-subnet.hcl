# error at line 6: a multicast subnet, which no link can use
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  subnet  = "224.0.0.0/24"
  between = ["a", "b"]
}
