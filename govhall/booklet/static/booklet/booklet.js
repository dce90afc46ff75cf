// 家里办一本通: print button and the hall picker (which changes the page, keeping the options).
(function () {
  const print = document.getElementById("booklet-print");
  if (print) print.addEventListener("click", function () { window.print(); });
  const hall = document.getElementById("booklet-hall");
  const form = document.getElementById("booklet-options");
  if (hall && form) {
    hall.addEventListener("change", function () { form.setAttribute("action", hall.value); form.submit(); });
    form.setAttribute("action", hall.value);
  }
})();
