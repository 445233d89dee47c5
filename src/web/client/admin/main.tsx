import { render } from 'preact';
import { AdminApp } from './admin-app.js';
import { installLinkInterceptor } from './router.js';
import '../shared/base.css';
import './admin.css';

installLinkInterceptor();
const root = document.getElementById('app');
if (root) render(<AdminApp />, root);
