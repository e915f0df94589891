// Registering or editing a child (templates/cases/_case_fields.html): the birth date and gender
// are filled in from the resident ID number as it is typed (they stay editable, for a child
// without an ID number), and the grade list offers only the grades of the chosen school.
(function () {
  var id = document.querySelector("input[data-fills-birth]");
  var birth = document.querySelector("input[name=birth_date]");
  var gender = document.querySelector("select[name=gender]");
  if (id && birth && gender) {
    id.addEventListener("input", function () {
      var value = id.value.trim().toUpperCase();
      if (!/^\d{17}[\dX]$/.test(value)) return;
      var y = value.slice(6, 10), m = value.slice(10, 12), d = value.slice(12, 14);
      var day = new Date(Number(y), Number(m) - 1, Number(d));
      if (day.getFullYear() === Number(y) && day.getMonth() === Number(m) - 1 && day.getDate() === Number(d)) {
        birth.value = y + "-" + m + "-" + d;
      }
      gender.value = Number(value.charAt(16)) % 2 === 1 ? "male" : "female";
    });
  }
  var school = document.querySelector("select[data-grades]");
  var grade = document.querySelector("select[name=grade]");
  if (school && grade) {
    var offered = JSON.parse(school.dataset.grades || "{}");
    var limit = function () {
      var grades = offered[school.value];
      grade.querySelectorAll("option").forEach(function (option) {
        var hide = Boolean(grades) && option.value !== "" && grades.indexOf(option.value) === -1;
        option.hidden = hide;
        option.disabled = hide;
      });
      if (grade.selectedOptions.length && grade.selectedOptions[0].disabled) grade.value = "";
    };
    school.addEventListener("change", limit);
    limit();
  }
})();
