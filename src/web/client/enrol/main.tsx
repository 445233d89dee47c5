import { render } from 'preact';
import { EnrolApp } from './enrol-app.js';
import '../shared/base.css';
import './enrol.css';

const root = document.getElementById('app');
if (root) render(<EnrolApp />, root);
