// The street report's map, on the "where" page only: select a place to put a pin there,
// drag the pin to move it; the pin's latitude and longitude go into the form's hidden
// inputs. The words for where the problem is are always asked, so the map is an extra:
// without JavaScript (or a browser too old for modules) it stays hidden and the page
// works without it. Keyboard: the map takes the focus like any control and lets it go
// with Tab; the arrow keys move it, + and - zoom, and Enter puts the pin in the middle.
import "/static/dist/leaflet/leaflet.js";

const L = window.L;
// Where StreetReportAnswers takes a pin: the UK.
const UK = L.latLngBounds([49, -9], [61, 2]);
const PIN_ZOOM = 17;

// Leaflet shows the attribution as HTML: the setting is plain text.
const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function start(group) {
  const form = group.closest("form");
  const container = group.querySelector("[data-map]");
  const latitude = form.querySelector("[data-map-latitude]");
  const longitude = form.querySelector("[data-map-longitude]");
  const status = group.querySelector("[data-map-status]");
  const clear = group.querySelector("[data-map-clear]");
  const locate = group.querySelector("[data-map-locate]");
  const text = container.dataset;

  group.hidden = false; // first, so that the map has a size
  const map = L.map(container, {
    maxBounds: UK,
    maxBoundsViscosity: 1,
    minZoom: 5,
    zoomControl: false,
  });
  L.control.zoom({ zoomInTitle: text.zoomIn, zoomOutTitle: text.zoomOut }).addTo(map);
  L.tileLayer(text.tileUrl, { attribution: escape(text.attribution), maxZoom: 19 }).addTo(map);
  const icon = L.icon({
    iconUrl: text.iconUrl,
    iconRetinaUrl: text.iconRetinaUrl,
    shadowUrl: text.shadowUrl,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    shadowSize: [41, 41],
  });

  let pin = null;
  const say = (message) => {
    status.textContent = message;
  };

  function place(where) {
    if (!UK.contains(where)) {
      say(text.outside);
      if (pin) pin.setLatLng([Number(latitude.value), Number(longitude.value)]);
      return false;
    }
    if (pin) {
      pin.setLatLng(where);
    } else {
      pin = L.marker(where, { icon, draggable: true, alt: text.pinLabel });
      pin.on("dragend", () => place(pin.getLatLng()) && say(text.placed));
      pin.addTo(map);
    }
    latitude.value = where.lat.toFixed(6);
    longitude.value = where.lng.toFixed(6);
    clear.hidden = false;
    return true;
  }

  const stored = L.latLng(Number(latitude.value), Number(longitude.value));
  if (latitude.value && longitude.value && UK.contains(stored)) {
    map.setView(stored, PIN_ZOOM);
    place(stored);
  } else {
    latitude.value = longitude.value = ""; // a pin refused (outside the UK) is not kept
    map.fitBounds(UK);
  }

  map.on("click", (event) => place(event.latlng) && say(text.placed));
  container.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target === container) {
      event.preventDefault(); // not the form's submit
      if (place(map.getCenter())) say(text.placed);
    }
  });
  clear.addEventListener("click", () => {
    pin.remove();
    pin = null;
    latitude.value = longitude.value = "";
    clear.hidden = true;
    say(text.removed);
    container.focus();
  });
  if ("geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", () => {
      say(text.locating);
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const here = L.latLng(position.coords.latitude, position.coords.longitude);
          if (place(here)) {
            map.setView(here, PIN_ZOOM);
            say(text.placed);
          }
        },
        () => say(text.locateFailed),
        { enableHighAccuracy: true, timeout: 15000 },
      );
    });
  }
}

const group = document.querySelector("[data-map-group]");
if (group && L) start(group);
