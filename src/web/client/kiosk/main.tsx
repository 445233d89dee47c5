import { render } from 'preact';
import { KioskApp } from './kiosk-app.js';
import '../shared/base.css';
import './kiosk.css';

const root = document.getElementById('app');
if (root) render(<KioskApp />, root);
