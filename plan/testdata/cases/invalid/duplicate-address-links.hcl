# error at line 12: an address another link already uses
lab "x" {}
jail "a" {}
jail "b" {}
jail "c" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
link "b-c" {
  between   = ["b", "c"]
  addresses = ["10.0.0.2/24", "10.0.0.3/24"]
}
