# error at line 7: three addresses for a link's two ends
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["10.0.0.1/24", "10.0.0.2/24", "10.0.0.3/24"]
}
