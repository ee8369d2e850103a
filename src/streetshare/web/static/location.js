// "Use my location" on the Where do you live? page (progressive enhancement).
// Without JavaScript, or without geolocation, the section stays hidden and the postcode form
// works on its own. With it, the button asks the browser for the position, fills the hidden
// lat/lng inputs and submits: no address lookup happens anywhere, so it works offline too.
(function () {
  "use strict";
  var form = document.getElementById("locate-form");
  if (!form || !("geolocation" in navigator)) {
    return;
  }
  var lat = document.getElementById("locate-lat");
  var lng = document.getElementById("locate-lng");
  var button = document.getElementById("locate-button");
  var status = document.getElementById("locate-status");
  var address = document.getElementById("f-address");

  Array.prototype.forEach.call(document.querySelectorAll("[data-locate]"), function (el) {
    el.hidden = false;
  });

  var MESSAGES = {
    1: "You didn't allow your location. Type your postcode below instead.",
    2: "Your phone couldn't tell where you are. Type your postcode below instead.",
    3: "Finding your location took too long. Try again, or type your postcode below."
  };

  function failed(message) {
    button.disabled = false;
    status.textContent = message;
    status.classList.add("error");
    if (address) {
      address.focus();
    }
  }

  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-located") === "yes") {
      return; // the position is in the hidden inputs: let the form go
    }
    event.preventDefault();
    button.disabled = true;
    status.classList.remove("error");
    status.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lng.value = position.coords.longitude.toFixed(6);
        form.setAttribute("data-located", "yes");
        status.textContent = "Found you. Saving…";
        form.submit();
      },
      function (error) {
        failed(MESSAGES[error.code] || MESSAGES[2]);
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });
})();
