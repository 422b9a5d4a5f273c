import './base.css';
import './cloud.css';
import './mainArea.css';
