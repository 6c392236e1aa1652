# error at line 7: the two addresses have different prefix lengths
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["10.0.0.1/24", "10.0.0.2/25"]
}
